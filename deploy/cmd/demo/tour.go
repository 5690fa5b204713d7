package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// natsTour is the README's inspection table: the demo runs each command
// and shows what it prints, so every one of them is exercised.
var natsTour = []struct {
	what string
	args []string
}{
	{"the stream", []string{"stream", "info", "CRM"}},
	{"every stage's consumer and its lag", []string{"consumer", "report", "CRM"}},
	{"the run markers", []string{"stream", "subjects", "CRM", "crm.run.>"}},
	{"the last linked marker", []string{"stream", "get", "CRM", "--last-for",
		"crm.run.zoho.*.linked"}},
	{"dead letters", []string{"stream", "subjects", "CRM", "crm.dlq.>"}},
	{"a record's latest event", []string{"stream", "get", "CRM", "--last-for",
		"crm.rec.zoho.Users.<id>"}},
	{"KV state (watermarks, parked)", []string{"kv", "ls", "crm_watermarks"}},
}

// cypherTour is the README's Cypher: the demo runs each query.
var cypherTour = []string{
	"MATCH (n) RETURN labels(n)[0] AS label, count(*) AS nodes ORDER BY label",
	"MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS relationships ORDER BY type",
	"MATCH (c:Contact)-[:WORKS_AT]->(a:Account) RETURN a.Account_Name AS account, " +
		"count(c) AS people ORDER BY people DESC LIMIT 5",
}

// tour runs the inspection commands and queries and prints what they show.
func (d *demo) tour(ctx context.Context, natsBin string) error {
	fmt.Println("\n== look around (NATS and Neo4j keep running; 'make down' stops them)")
	userID, err := d.someUserID(ctx)
	if err != nil {
		return err
	}
	for _, c := range natsTour {
		args := make([]string, 0, len(c.args)+2)
		args = append(args, "-s", d.p.NATSURL)
		for _, a := range c.args {
			args = append(args, strings.ReplaceAll(a, "<id>", userID))
		}
		fmt.Printf("\n-- %s\n$ %s %s\n", c.what, natsBin, quoteArgs(args))
		out, err := runFor(ctx, 20*time.Second, natsBin, args...)
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", c.what, err, out)
		}
		fmt.Print(head(out, 25))
	}
	fmt.Printf("\n-- Neo4j at %s (no auth, database neo4j)\n", d.p.Neo4jURI)
	for _, q := range cypherTour {
		fmt.Printf("\n%s\n", q)
		res, err := neo4j.ExecuteQuery(ctx, d.driver, q, nil, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithDatabase("neo4j"))
		if err != nil {
			return fmt.Errorf("running %q: %w", q, err)
		}
		for _, r := range res.Records {
			fmt.Printf("  %v\n", r.Values)
		}
	}
	return nil
}

// someUserID returns the id of one User node, to show its event.
func (d *demo) someUserID(ctx context.Context) (string, error) {
	res, err := neo4j.ExecuteQuery(ctx, d.driver, "MATCH (u:User) RETURN u.id ORDER BY u.id LIMIT 1",
		nil, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase("neo4j"))
	if err != nil || len(res.Records) == 0 {
		return "", fmt.Errorf("finding a user to show: %v", err)
	}
	id, _ := res.Records[0].Values[0].(string)
	return id, nil
}

func runFor(ctx context.Context, d time.Duration, bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	return string(out), err
}

// head returns the first n lines of s.
func head(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		return strings.Join(lines[:n], "") + "  ...\n"
	}
	return s
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = a
		if strings.ContainsAny(a, "*> ") {
			q[i] = "'" + a + "'"
		}
	}
	return strings.Join(q, " ")
}
