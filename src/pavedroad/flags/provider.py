"""An OpenFeature provider over the compiled snapshot, for code that speaks ``openfeature-sdk``.

>>> from openfeature import api
>>> from pavedroad.flags import PavedroadProvider, client
>>> api.set_provider(PavedroadProvider(client()))  # doctest: +SKIP
>>> ctx = EvaluationContext("acme:7", {"tenant": "acme"})  # doctest: +SKIP
>>> api.get_client().get_boolean_value("new-ui", False, ctx)  # doctest: +SKIP

The provider maps an ``EvaluationContext`` to the same mapping the direct path takes (``targetingKey`` +
attributes) and returns OpenFeature reasons and error codes; it never raises. Hot code that can skip
OpenFeature's hooks and context merging should call ``flags.client().enabled`` instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEventDetails
from openfeature.exception import ErrorCode as OFErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, FlagValueType
from openfeature.provider import AbstractProvider, Metadata

from pavedroad.flags.client import FlagClient
from pavedroad.flags.compiled_flag import Snapshot

__all__ = ["PavedroadProvider"]


def _ctx(evaluation_context: EvaluationContext | None) -> Mapping[str, Any]:
    if evaluation_context is None:
        return {}
    data = dict(evaluation_context.attributes)
    if evaluation_context.targeting_key is not None:
        data["targetingKey"] = evaluation_context.targeting_key
    return data


class PavedroadProvider(AbstractProvider):
    """OpenFeature provider backed by a ``FlagClient`` (``pavedroad.flags.client()`` by default)."""

    def __init__(self, flag_client: FlagClient | None = None) -> None:
        super().__init__()
        if flag_client is None:
            from pavedroad.flags.client import client

            flag_client = client()
        self.flags = flag_client

    def get_metadata(self) -> Metadata:
        return Metadata(name="pavedroad")

    def initialize(self, evaluation_context: EvaluationContext) -> None:
        """Emit ``PROVIDER_CONFIGURATION_CHANGED`` (with the changed keys) whenever the snapshot reloads."""
        self.flags.runtime.listeners.append(self._changed)

    def shutdown(self) -> None:
        if self._changed in self.flags.runtime.listeners:
            self.flags.runtime.listeners.remove(self._changed)

    def _changed(self, old: Snapshot, new: Snapshot) -> None:
        keys = sorted(
            k for k in set(old.flags) | set(new.flags)
            if k not in old.flags or k not in new.flags or old.flags[k].flag != new.flags[k].flag
            or old.overrides.get(k) != new.overrides.get(k)
        )  # fmt: skip
        if keys and hasattr(self, "_on_emit"):
            self.emit_provider_configuration_changed(ProviderEventDetails(flags_changed=keys))

    def _resolve(self, key: str, default: Any, ctx: EvaluationContext | None, kind: str) -> FlagResolutionDetails[Any]:
        r = self.flags.details(key, default, _ctx(ctx), kind=kind)
        return FlagResolutionDetails(
            value=r.value,
            error_code=OFErrorCode(r.error_code) if r.error_code else None,
            error_message=r.error_message,
            reason=r.reason,
            variant=r.variant,
            flag_metadata=dict(r.metadata),
        )

    def resolve_boolean_details(
        self, flag_key: str, default_value: bool, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[bool]:
        return self._resolve(flag_key, default_value, evaluation_context, "boolean")

    def resolve_string_details(
        self, flag_key: str, default_value: str, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[str]:
        return self._resolve(flag_key, default_value, evaluation_context, "string")

    def resolve_integer_details(
        self, flag_key: str, default_value: int, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[int]:
        return self._resolve(flag_key, default_value, evaluation_context, "integer")

    def resolve_float_details(
        self, flag_key: str, default_value: float, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[float]:
        return self._resolve(flag_key, default_value, evaluation_context, "float")

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: Sequence[FlagValueType] | Mapping[str, FlagValueType],
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[Sequence[FlagValueType] | Mapping[str, FlagValueType]]:
        return self._resolve(flag_key, default_value, evaluation_context, "object")
