package zoho

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// APIError is an error answer of the API: the HTTP status and Zoho's code
// and message. It matches ErrAPI.
type APIError struct {
	// Status is the HTTP status.
	Status int
	// Code is Zoho's error code, such as INVALID_MODULE or INVALID_TOKEN.
	Code string
	// Message is Zoho's message.
	Message string
	// Call names the call that failed, such as "records of Contacts".
	Call string
}

// Error implements error.
func (e *APIError) Error() string {
	code := e.Code
	if code == "" {
		code = http.StatusText(e.Status)
	}
	if e.Message != "" {
		return fmt.Sprintf("%s: status %d %s: %s", e.Call, e.Status, code, e.Message)
	}
	return fmt.Sprintf("%s: status %d %s", e.Call, e.Status, code)
}

// Is makes errors.Is(err, ErrAPI) true.
func (e *APIError) Is(target error) bool { return target == ErrAPI }

// Retryable reports whether the call may succeed when repeated: a rate
// limit (429) or a server error (5xx).
func (e *APIError) Retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// tokenRejected reports whether the API refused the access token, which
// earns one refresh.
func (e *APIError) tokenRejected() bool {
	return e.Status == http.StatusUnauthorized &&
		(e.Code == "INVALID_TOKEN" || e.Code == "AUTHENTICATION_FAILURE")
}

// newAPIError reads Zoho's error body, which is an object with code and
// message, sometimes wrapped in a data array.
func newAPIError(call string, status int, body []byte) *APIError {
	e := &APIError{Status: status, Call: call}
	var b struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Data    []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &b) == nil {
		e.Code, e.Message = b.Code, b.Message
		if e.Code == "" && len(b.Data) > 0 {
			e.Code, e.Message = b.Data[0].Code, b.Data[0].Message
		}
	}
	return e
}
