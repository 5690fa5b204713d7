package events

import "errors"

// Errors returned by this package. Callers test for them with errors.Is.
var (
	// ErrUnsafeToken means a source, module, id, run or stage cannot be used
	// as a subject token: it is empty, too long, or holds a character other
	// than ASCII letters, digits, '_' and '-'.
	ErrUnsafeToken = errors.New("not a safe subject token")
	// ErrNotRecordSubject means a subject is not crm.rec.<source>.<module>.<id>.
	ErrNotRecordSubject = errors.New("not a record event subject")
	// ErrNotMarkerSubject means a subject is not crm.run.<source>.<run>.<stage>.
	ErrNotMarkerSubject = errors.New("not a run marker subject")
	// ErrUnknownStage means a marker names a stage other than extracted,
	// loaded, linked or failed.
	ErrUnknownStage = errors.New("unknown stage")
	// ErrUnknownOp means a record event's Crm-Op is neither upsert nor delete.
	ErrUnknownOp = errors.New("unknown record operation")
	// ErrMissingHeader means a message lacks a header the contract requires.
	ErrMissingHeader = errors.New("missing header")
	// ErrUnsupportedSchema means an event was written in a newer format
	// than this build understands.
	ErrUnsupportedSchema = errors.New("unsupported event schema version")
	// ErrNotJSONObject means a record body is not a JSON object.
	ErrNotJSONObject = errors.New("record body is not a JSON object")
	// ErrStreamConflict means an existing CRM stream has a setting that
	// cannot be changed in place (storage or retention).
	ErrStreamConflict = errors.New("existing stream cannot be converged")
)
