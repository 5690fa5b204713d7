package events

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// NewRunID returns a new run id: the UTC start time to the second and six
// random hex digits, for example 20261203T163406Z-4f09a2. Ids sort by start
// time and are safe subject tokens.
func NewRunID(start time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return start.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
