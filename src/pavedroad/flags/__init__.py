"""Feature flags and gradual rollouts: flagd-compatible, compiled, tenant-aware.

Flags are flagd flag-set JSON (``model``, with our ``metadata``); a targeting rule is compiled once
(``rule_compiler``: closures from ``rule_operators`` over ``rule_values``, then generated Python from
``rule_codegen``) into a ``compiled_flag``; whole sets are checked by ``flagset_validation`` and aging
flags found by ``stale_flags``; ramps are monotone with anchored variant slices (``ramp``); flags live in
Postgres with an audit trail (``store``) and reach every process through LISTEN/NOTIFY with a
last-known-good file (``runtime``). Hot code calls ``client().enabled(key, ctx)``; OpenFeature code uses
``PavedroadProvider``. See docs/flags.md.
"""

from pavedroad.flags.access import Actor
from pavedroad.flags.bucketing import DEFAULT_HASH_VERSION, HASH_VERSIONS, bucket_index, hash32
from pavedroad.flags.client import FlagClient, client, configure, context_for
from pavedroad.flags.compiled_flag import (
    KILL,
    CompiledFlag,
    ErrorCode,
    Reason,
    Resolution,
    Snapshot,
    compile_flag,
    compile_snapshot,
)
from pavedroad.flags.control import (
    AsyncRampController,
    RampController,
    RampPosition,
    move_ramp,
    ramp_position,
    rollback_ramp,
    set_guard,
    set_ramp,
    update_ramp,
)
from pavedroad.flags.errors import FlagForbidden, FlagNotFound, FlagStateConflict, InvalidFlagSet
from pavedroad.flags.flagset_validation import require_valid, validate_flag_set, validate_targeting
from pavedroad.flags.metadata import FlagMeta, read_meta
from pavedroad.flags.model import Flag, FlagSet, parse_flag_set
from pavedroad.flags.preview import who_flips
from pavedroad.flags.provider import PavedroadProvider
from pavedroad.flags.ramp import Step, anchored_ranges, format_schedule, parse_schedule, schedule_position
from pavedroad.flags.rule_compiler import RuleError, compile_rule
from pavedroad.flags.runtime import FlagRuntime
from pavedroad.flags.stale_flags import find_references, lint_flag_set
from pavedroad.flags.store import Op as StoreOp
from pavedroad.flags.store import StoreState, get_flag, import_flag_set, put_flag, set_override
from pavedroad.flags.store import arun as arun_store_op
from pavedroad.flags.store import history as flag_history
from pavedroad.flags.store import load_state as load_store_state
from pavedroad.flags.store import revert as revert_flag
from pavedroad.flags.store import run as run_store_op
from pavedroad.flags.unleash import import_unleash
from pavedroad.flags.view import tenant_flag, tenant_flags, tenant_history

__all__ = [
    "DEFAULT_HASH_VERSION",
    "HASH_VERSIONS",
    "KILL",
    "Actor",
    "AsyncRampController",
    "CompiledFlag",
    "ErrorCode",
    "Flag",
    "FlagClient",
    "FlagForbidden",
    "FlagMeta",
    "FlagNotFound",
    "FlagRuntime",
    "FlagSet",
    "FlagStateConflict",
    "InvalidFlagSet",
    "PavedroadProvider",
    "RampController",
    "RampPosition",
    "Reason",
    "Resolution",
    "RuleError",
    "Snapshot",
    "Step",
    "StoreOp",
    "StoreState",
    "anchored_ranges",
    "arun_store_op",
    "bucket_index",
    "client",
    "compile_flag",
    "compile_rule",
    "compile_snapshot",
    "configure",
    "context_for",
    "find_references",
    "flag_history",
    "format_schedule",
    "get_flag",
    "hash32",
    "import_flag_set",
    "import_unleash",
    "lint_flag_set",
    "load_store_state",
    "move_ramp",
    "parse_flag_set",
    "parse_schedule",
    "put_flag",
    "ramp_position",
    "read_meta",
    "require_valid",
    "revert_flag",
    "rollback_ramp",
    "run_store_op",
    "schedule_position",
    "set_guard",
    "set_override",
    "set_ramp",
    "tenant_flag",
    "tenant_flags",
    "tenant_history",
    "update_ramp",
    "validate_flag_set",
    "validate_targeting",
    "who_flips",
]
