package neo4jw

import (
	"errors"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/db"
)

// IsDataError reports whether err means that Neo4j refused the data of a
// batch: a value it cannot store, a type error in a row. Retrying the same
// rows fails again, so the loader splits the batch to find the rows to
// send to the dead-letter subject.
func IsDataError(err error) bool {
	var unsupported *db.UnsupportedTypeError
	if errors.As(err, &unsupported) {
		return true
	}
	var ne *neo4j.Neo4jError
	if !errors.As(err, &ne) {
		return false
	}
	for _, code := range dataErrors {
		if ne.Code == code {
			return true
		}
	}
	return false
}

// dataErrors are the Neo4j status codes a row's data can cause.
var dataErrors = []string{
	"Neo.ClientError.Statement.TypeError",
	"Neo.ClientError.Statement.ArgumentError",
	"Neo.ClientError.Statement.ArithmeticError",
	"Neo.ClientError.Statement.PropertyNotFound",
	"Neo.ClientError.Schema.ConstraintValidationFailed",
	"Neo.ClientError.Request.Invalid",
	"Neo.ClientError.Request.InvalidFormat",
}

// IsFatal reports whether err means that the loader itself is wrong: Neo4j
// refused a statement's text or its parameters' shape, which no retry and
// no data can fix. The loader stops rather than dead-letter the stream.
func IsFatal(err error) bool {
	if IsDataError(err) {
		return false
	}
	var ne *neo4j.Neo4jError
	if !errors.As(err, &ne) {
		return false
	}
	return strings.HasPrefix(ne.Code, "Neo.ClientError.Statement.") ||
		strings.HasPrefix(ne.Code, "Neo.ClientError.Schema.")
}
