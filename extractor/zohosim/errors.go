package zohosim

import (
	"encoding/json"
	"errors"
	"net/http"
)

// Errors returned by the Go API.
var (
	// ErrUnknownModule is returned for a module the organisation does not serve.
	ErrUnknownModule = errors.New("unknown module")
	// ErrInvalidConfig is returned by New for a configuration it cannot run.
	ErrInvalidConfig = errors.New("invalid simulator configuration")
	// ErrNoRecord is returned by Record for an id that is not a live record.
	ErrNoRecord = errors.New("no such record")
	// ErrInvalidSpec is returned by Mutate for shares outside [0, 1].
	ErrInvalidSpec = errors.New("invalid mutation spec")

	errUnknownID = errors.New("not an id of this organisation")
)

// apiError is an error answer of the CRM API: an HTTP status and Zoho's error body.
type apiError struct {
	status  int
	code    string
	message string
	details map[string]any
}

// Error returns the code and message.
func (e *apiError) Error() string { return e.code + ": " + e.message }

// write sends e in Zoho's shape {"code","details","message","status":"error"}.
func (e *apiError) write(w http.ResponseWriter) {
	details := e.details
	if details == nil {
		details = map[string]any{}
	}
	writeJSON(w, e.status, map[string]any{
		"code":    e.code,
		"details": details,
		"message": e.message,
		"status":  "error",
	})
}

// writeJSON sends v as a JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, status, body)
}

// writeBody sends a JSON body with status.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// The API errors, with the status, code and message Zoho documents.

func errParamMissing(param string) *apiError {
	return &apiError{http.StatusBadRequest, "REQUIRED_PARAM_MISSING",
		"One of the expected parameter is missing", map[string]any{"param_name": param}}
}

func errInvalidParam(param string, extra map[string]any) *apiError {
	d := map[string]any{"param_name": param}
	for k, v := range extra {
		d[k] = v
	}
	return &apiError{http.StatusBadRequest, "INVALID_DATA", "invalid data", d}
}

func errFieldsLimit() *apiError {
	return &apiError{http.StatusBadRequest, "LIMIT_EXCEEDED",
		"the number of fields exceeds the limit",
		map[string]any{"limit": maxFields, "param_name": "fields"}}
}

func errDiscretePagination() *apiError {
	return &apiError{http.StatusBadRequest, "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
		"You can only get the first 2000 records without using page_token param",
		map[string]any{"limit": maxDiscrete}}
}

func errPaginationLimit() *apiError {
	return &apiError{http.StatusBadRequest, "PAGINATION_LIMIT_EXCEEDED",
		"you have reached the maximum number of records that can be fetched with page_token",
		map[string]any{"limit": maxTokenRecords}}
}

func errTokenExpired() *apiError {
	return &apiError{http.StatusBadRequest, "EXPIRED_VALUE", "Page token expired",
		map[string]any{"param_name": "page_token"}}
}

func errTokenMismatch() *apiError {
	return &apiError{http.StatusBadRequest, "TOKEN_BOUND_DATA_MISMATCH",
		"the parameters do not match the ones the page token was issued for",
		map[string]any{"param_name": "page_token"}}
}

func errAmbiguous(a, b string) *apiError {
	return &apiError{http.StatusBadRequest, "AMBIGUITY_DURING_PROCESSING",
		"ambiguity while processing the request",
		map[string]any{"ambiguity_due_to": []string{a, b}}}
}

func errInvalidModule() *apiError {
	return &apiError{http.StatusBadRequest, "INVALID_MODULE",
		"the module name given seems to be invalid", map[string]any{"resource_path_index": 0}}
}

func errURLPattern() *apiError {
	return &apiError{http.StatusNotFound, "INVALID_URL_PATTERN",
		"Please check if the URL trying to access is a correct one", nil}
}

func errMethod() *apiError {
	return &apiError{http.StatusMethodNotAllowed, "INVALID_REQUEST_METHOD",
		"The http request method type is not a valid one", nil}
}

func errAPIVersion() *apiError {
	return &apiError{http.StatusBadRequest, "API_NOT_SUPPORTED",
		"the simulator serves API version v8 only", map[string]any{"supported_version": "v8"}}
}

func errAuthFailure() *apiError {
	return &apiError{http.StatusUnauthorized, "AUTHENTICATION_FAILURE",
		"Authentication failed", nil}
}

func errScopeMismatch() *apiError {
	return &apiError{http.StatusUnauthorized, "OAUTH_SCOPE_MISMATCH",
		"invalid oauth scope to access this URL", nil}
}

func errInvalidToken() *apiError {
	return &apiError{http.StatusUnauthorized, "INVALID_TOKEN", "invalid oauth token", nil}
}

func errTooMany() *apiError {
	return &apiError{http.StatusTooManyRequests, "TOO_MANY_REQUESTS",
		"You have reached the maximum number of allowed API calls or concurrent requests",
		nil}
}

func errInternal() *apiError {
	return &apiError{http.StatusInternalServerError, "INTERNAL_ERROR",
		"Internal Server Error", nil}
}

func errSyntax(details map[string]any) *apiError {
	return &apiError{http.StatusBadRequest, "SYNTAX_ERROR", "error in the query", details}
}

func errQuery(details map[string]any) *apiError {
	return &apiError{http.StatusBadRequest, "INVALID_QUERY", "invalid query formed", details}
}

func errQueryLimit(limit int, clause string) *apiError {
	return &apiError{http.StatusBadRequest, "LIMIT_EXCEEDED", "the query exceeds a limit",
		map[string]any{"limit": limit, "clause": clause}}
}

func errDuplicate(column string) *apiError {
	return &apiError{http.StatusBadRequest, "DUPLICATE_DATA", "duplicate data in the query",
		map[string]any{"column_name": column}}
}
