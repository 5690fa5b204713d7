package zoho

import "errors"

// Errors returned by this package. Callers test for them with errors.Is.
var (
	// ErrConfig means a Config is incomplete or holds a value outside the
	// accepted ones; the error names the setting.
	ErrConfig = errors.New("invalid zoho configuration")
	// ErrToken means the accounts server did not issue an access token: the
	// refresh token, the client or the data centre is wrong, or refreshing is
	// rate limited.
	ErrToken = errors.New("zoho token refresh refused")
	// ErrAPI means the API answered a call with an error status; the error is
	// an *APIError with the status and Zoho's code.
	ErrAPI = errors.New("zoho api error")
	// ErrRetryBudget means a call kept failing with a retryable status or a
	// network error until its retry budget was spent.
	ErrRetryBudget = errors.New("zoho retry budget exhausted")
	// ErrMalformed means a response body could not be read as the documented
	// JSON shape (or a record came without an id).
	ErrMalformed = errors.New("malformed zoho response")
	// ErrPageLimit means a read could not go on past the records one chain
	// of page_token pages reaches: more of them than that share one
	// Modified_Time, or the module has no Modified_Time to order by.
	ErrPageLimit = errors.New("zoho page token limit reached")
)
