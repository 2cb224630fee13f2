-- A custom field's classification is chosen when it is defined: no default (an insert without one fails),
-- and `compensation` joins the registry's labels (confidential, and only the roles the access matrix lists
-- for compensation may use it). The widened CHECK is added NOT VALID: every existing row satisfies the
-- narrower one it replaces, and new rows are checked either way, so no scan holds a lock meanwhile.
-- squawk-ignore ban-drop-default
ALTER TABLE custom_field_definitions ALTER COLUMN classification DROP DEFAULT;
-- squawk-ignore ban-drop-constraint
ALTER TABLE custom_field_definitions DROP CONSTRAINT custom_field_definitions_classification_check;
ALTER TABLE custom_field_definitions ADD CONSTRAINT custom_field_definitions_classification_check
    CHECK (classification IN ('public', 'internal', 'confidential', 'personal', 'sensitive', 'compensation'))
    NOT VALID;
