package neo4jtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"
)

// Sum is a fingerprint of a whole graph: two graphs with the same Sum have
// the same nodes (labels and properties, types included) and the same
// relationships (type, end nodes and properties), whatever their internal
// ids and the order they were written in.
type Sum struct {
	Nodes         int
	Relationships int
	// Hash is the hex SHA-256 of the sorted node and relationship digests.
	Hash string
}

func (s Sum) String() string {
	return fmt.Sprintf("%d nodes, %d relationships, %s", s.Nodes, s.Relationships, s.Hash[:16])
}

// Checksum fingerprints the database. Nodes are identified by their
// labels and properties, relationships by their type, properties and the
// identities of their end nodes. Property keys listed in ignore are left
// out everywhere (for example "_run" to compare loads of different runs).
func Checksum(ctx context.Context, d neo4j.DriverWithContext, ignore ...string) (Sum, error) {
	skip := map[string]bool{}
	for _, k := range ignore {
		skip[k] = true
	}
	sess := d.NewSession(ctx, neo4j.SessionConfig{DatabaseName: Database,
		AccessMode: neo4j.AccessModeRead})
	defer sess.Close(ctx)

	ids := map[string]string{} // elementId -> node digest
	var digests []string
	res, err := sess.Run(ctx, "MATCH (n) RETURN elementId(n), labels(n), properties(n)", nil)
	if err != nil {
		return Sum{}, fmt.Errorf("reading nodes: %w", err)
	}
	for res.Next(ctx) {
		v := res.Record().Values
		labels := toStrings(v[1].([]any))
		slices.Sort(labels)
		dg := digest("N", strings.Join(labels, ":"), encodeMap(v[2].(map[string]any), skip))
		ids[v[0].(string)] = dg
		digests = append(digests, dg)
	}
	if err := res.Err(); err != nil {
		return Sum{}, fmt.Errorf("reading nodes: %w", err)
	}
	nodes := len(digests)

	res, err = sess.Run(ctx, "MATCH (a)-[r]->(b) "+
		"RETURN elementId(a), type(r), properties(r), elementId(b)", nil)
	if err != nil {
		return Sum{}, fmt.Errorf("reading relationships: %w", err)
	}
	for res.Next(ctx) {
		v := res.Record().Values
		digests = append(digests, digest("R", ids[v[0].(string)], v[1].(string),
			encodeMap(v[2].(map[string]any), skip), ids[v[3].(string)]))
	}
	if err := res.Err(); err != nil {
		return Sum{}, fmt.Errorf("reading relationships: %w", err)
	}

	slices.Sort(digests)
	h := sha256.New()
	for _, dg := range digests {
		h.Write([]byte(dg))
	}
	return Sum{Nodes: nodes, Relationships: len(digests) - nodes,
		Hash: hex.EncodeToString(h.Sum(nil))}, nil
}

// MustChecksum is Checksum for tests.
func MustChecksum(t testing.TB, d neo4j.DriverWithContext, ignore ...string) Sum {
	t.Helper()
	s, err := Checksum(context.Background(), d, ignore...)
	if err != nil {
		t.Fatalf("checksumming the graph: %v", err)
	}
	return s
}

func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func toStrings(v []any) []string {
	out := make([]string, len(v))
	for i, e := range v {
		out[i], _ = e.(string)
	}
	return out
}

// encodeMap writes properties in key order with typed values.
func encodeMap(m map[string]any, skip map[string]bool) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if !skip[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(strconv.Quote(k))
		b.WriteByte('=')
		encodeValue(&b, m[k])
		b.WriteByte(';')
	}
	return b.String()
}

// encodeValue writes a value with its type, so that 1 and 1.0 and "1"
// differ, and a DateTime keeps its offset.
func encodeValue(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		b.WriteString("s" + strconv.Quote(v))
	case int64:
		b.WriteString("i" + strconv.FormatInt(v, 10))
	case float64:
		if math.IsNaN(v) {
			b.WriteString("fNaN")
		} else {
			b.WriteString("f" + strconv.FormatFloat(v, 'g', -1, 64))
		}
	case bool:
		b.WriteString("b" + strconv.FormatBool(v))
	case time.Time:
		name, off := v.Zone()
		b.WriteString("t" + v.UTC().Format(time.RFC3339Nano) + "@" + strconv.Itoa(off) + name)
	case dbtype.Date:
		b.WriteString("d" + time.Time(v).Format(time.DateOnly))
	case dbtype.LocalDateTime:
		b.WriteString("l" + time.Time(v).Format("2006-01-02T15:04:05.999999999"))
	case dbtype.LocalTime:
		b.WriteString("lt" + time.Time(v).Format("15:04:05.999999999"))
	case dbtype.Time:
		b.WriteString("tt" + time.Time(v).Format("15:04:05.999999999Z07:00"))
	case []any:
		b.WriteByte('[')
		for _, e := range v {
			encodeValue(b, e)
			b.WriteByte(',')
		}
		b.WriteByte(']')
	case []byte:
		b.WriteString("x" + hex.EncodeToString(v))
	default:
		fmt.Fprintf(b, "%T%v", v, v)
	}
}
