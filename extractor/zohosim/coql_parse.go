package zohosim

import (
	"strconv"
	"strings"
	"unicode"
)

// A COQL query, parsed: select columns from a module, a where clause, an order and a
// limit. Only what the simulator evaluates is represented; see the package docs.
type coqlQuery struct {
	columns []string
	module  string
	where   *coqlCond
	orderBy []orderKey
	limit   int
	offset  int
}

// orderKey is one ORDER BY column and its direction.
type orderKey struct {
	column string
	desc   bool
}

// coqlCond is a where clause node: a pair joined by "and"/"or", or one comparison.
type coqlCond struct {
	op          string // "and", "or", or a comparator: = != < > <= >= in "not in"
	left, right *coqlCond
	column      string   // comparisons: the column
	values      []string // comparisons: literal values (strings unquoted)
	null        bool     // comparisons: "is null" (op "is") or "is not null" (op "is not")
}

// Default and maximum COQL limits.
const (
	coqlDefaultLimit = 200
	coqlMaxLimit     = 2000
	coqlMaxTotal     = 100_000
	coqlMaxColumns   = 50
	coqlMaxOrder     = 10
)

// coqlToken is a lexical token: a word (identifier or keyword), a quoted string, a
// number, or punctuation.
type coqlToken struct {
	text   string
	quoted bool
	pos    int
}

// lexCOQL splits a query into tokens.
func lexCOQL(q string) ([]coqlToken, *apiError) {
	var toks []coqlToken
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'' || c == '"':
			s, n, ok := readQuoted(q[i:])
			if !ok {
				return nil, errSyntax(map[string]any{"near": q[i:], "column": i + 1})
			}
			toks = append(toks, coqlToken{text: s, quoted: true, pos: i})
			i += n
		case strings.ContainsRune("(),=", rune(c)):
			toks = append(toks, coqlToken{text: string(c), pos: i})
			i++
		case c == '!' || c == '<' || c == '>':
			n := 1
			if i+1 < len(q) && (q[i+1] == '=' || c == '<' && q[i+1] == '>') {
				n = 2
			}
			toks = append(toks, coqlToken{text: q[i : i+n], pos: i})
			i += n
		default:
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			if j == i {
				return nil, errSyntax(map[string]any{"near": q[i:], "column": i + 1})
			}
			toks = append(toks, coqlToken{text: q[i:j], pos: i})
			i = j
		}
	}
	return toks, nil
}

// isWordByte reports whether c may appear in an identifier, keyword or number.
func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c == '.' || c == '-' || c == '+' || c == ':' ||
		c == '%' || c == '*' || c >= 0x80 || unicode.IsLetter(rune(c)) ||
		unicode.IsDigit(rune(c))
}

// readQuoted reads a quoted literal; a doubled quote escapes the quote.
func readQuoted(s string) (string, int, bool) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != q {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == q {
			b.WriteByte(q)
			i++
			continue
		}
		return b.String(), i + 1, true
	}
	return "", 0, false
}

// coqlParser is a recursive-descent parser over tokens.
type coqlParser struct {
	toks []coqlToken
	i    int
}

// parseCOQL parses a select query.
func parseCOQL(q string) (*coqlQuery, *apiError) {
	toks, err := lexCOQL(q)
	if err != nil {
		return nil, err
	}
	p := &coqlParser{toks: toks}
	return p.query()
}

// peek returns the next token's text in lower case, or "".
func (p *coqlParser) peek() string {
	if p.i >= len(p.toks) || p.toks[p.i].quoted {
		return ""
	}
	return strings.ToLower(p.toks[p.i].text)
}

// next consumes and returns the next token.
func (p *coqlParser) next() (coqlToken, bool) {
	if p.i >= len(p.toks) {
		return coqlToken{}, false
	}
	p.i++
	return p.toks[p.i-1], true
}

// expect consumes a keyword or punctuation.
func (p *coqlParser) expect(word string) *apiError {
	if p.peek() != word {
		return p.syntax()
	}
	p.i++
	return nil
}

// syntax returns a SYNTAX_ERROR pointing at the current token.
func (p *coqlParser) syntax() *apiError {
	if p.i >= len(p.toks) {
		return errSyntax(map[string]any{"near": "end of query"})
	}
	t := p.toks[p.i]
	return errSyntax(map[string]any{"near": t.text, "line": 1, "column": t.pos + 1})
}

// query parses the whole statement.
func (p *coqlParser) query() (*coqlQuery, *apiError) {
	q := &coqlQuery{limit: coqlDefaultLimit}
	if err := p.expect("select"); err != nil {
		return nil, err
	}
	if err := p.columns(q); err != nil {
		return nil, err
	}
	mod, ok := p.next()
	if !ok || mod.quoted {
		return nil, p.syntax()
	}
	q.module = mod.text
	if p.peek() != "where" {
		return nil, errSyntax(map[string]any{"clause": "where"})
	}
	p.i++
	var err *apiError
	if q.where, err = p.cond(); err != nil {
		return nil, err
	}
	if p.peek() == "order" {
		if err = p.order(q); err != nil {
			return nil, err
		}
	}
	if p.peek() == "limit" {
		if err = p.limit(q); err != nil {
			return nil, err
		}
	}
	if p.i < len(p.toks) {
		return nil, p.syntax()
	}
	return q, nil
}

// columns parses the select list up to "from".
func (p *coqlParser) columns(q *coqlQuery) *apiError {
	for {
		t, ok := p.next()
		if !ok || t.text == "," || strings.EqualFold(t.text, "from") {
			return p.syntax()
		}
		q.columns = append(q.columns, t.text)
		switch p.peek() {
		case ",":
			p.i++
		case "from":
			p.i++
			return nil
		default:
			return p.syntax()
		}
	}
}

// cond parses a where clause: operands joined by and/or, at most two per level
// unless bracketed, as Zoho requires.
func (p *coqlParser) cond() (*coqlCond, *apiError) {
	left, err := p.operand()
	if err != nil {
		return nil, err
	}
	op := p.peek()
	if op != "and" && op != "or" {
		return left, nil
	}
	p.i++
	right, err := p.operand()
	if err != nil {
		return nil, err
	}
	if w := p.peek(); w == "and" || w == "or" {
		return nil, errSyntax(map[string]any{"clause": "where",
			"reason": "more than two criteria must be grouped in pairs with brackets"})
	}
	return &coqlCond{op: op, left: left, right: right}, nil
}

// operand parses a bracketed clause or one comparison.
func (p *coqlParser) operand() (*coqlCond, *apiError) {
	if p.peek() == "(" {
		p.i++
		c, err := p.cond()
		if err != nil {
			return nil, err
		}
		return c, p.expect(")")
	}
	col, ok := p.next()
	if !ok || col.quoted {
		return nil, p.syntax()
	}
	c := &coqlCond{column: col.text}
	switch op := p.peek(); op {
	case "is":
		p.i++
		c.op = "is"
		if p.peek() == "not" {
			p.i++
			c.op = "is not"
		}
		return c, p.expect("null")
	case "=", "!=", "<>", "<", ">", "<=", ">=", "like":
		p.i++
		c.op = strings.Replace(op, "<>", "!=", 1)
		return c, p.values(c, 1)
	case "between":
		p.i++
		c.op = "between"
		if err := p.values(c, 1); err != nil {
			return nil, err
		}
		if err := p.expect("and"); err != nil {
			return nil, err
		}
		return c, p.values(c, 1)
	case "in", "not":
		return p.inList(c)
	}
	return nil, p.syntax()
}

// inList parses "in (a, b)" and "not in (a, b)".
func (p *coqlParser) inList(c *coqlCond) (*coqlCond, *apiError) {
	c.op = "in"
	if p.peek() == "not" {
		p.i++
		c.op = "not in"
	}
	if err := p.expect("in"); err != nil {
		return nil, err
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	for {
		if err := p.values(c, 1); err != nil {
			return nil, err
		}
		if p.peek() == ")" {
			p.i++
			return c, nil
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
}

// values reads n literal values into c.
func (p *coqlParser) values(c *coqlCond, n int) *apiError {
	for range n {
		t, ok := p.next()
		if !ok || !t.quoted && !isNumber(t.text) {
			if ok {
				p.i--
			}
			return p.syntax()
		}
		c.values = append(c.values, t.text)
	}
	return nil
}

// isNumber reports whether s is a decimal number.
func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// order parses "order by col [asc|desc], ...".
func (p *coqlParser) order(q *coqlQuery) *apiError {
	p.i++
	if err := p.expect("by"); err != nil {
		return err
	}
	for {
		t, ok := p.next()
		if !ok || t.quoted {
			return p.syntax()
		}
		k := orderKey{column: t.text}
		switch p.peek() {
		case "asc":
			p.i++
		case "desc":
			p.i++
			k.desc = true
		}
		q.orderBy = append(q.orderBy, k)
		if p.peek() != "," {
			return nil
		}
		p.i++
	}
}

// limit parses "limit n", "limit offset, n" and "limit n offset m".
func (p *coqlParser) limit(q *coqlQuery) *apiError {
	p.i++
	first, err := p.integer()
	if err != nil {
		return err
	}
	q.limit = first
	switch p.peek() {
	case ",":
		p.i++
		q.offset = first
		q.limit, err = p.integer()
	case "offset":
		p.i++
		q.offset, err = p.integer()
	}
	return err
}

// integer reads a non-negative integer literal.
func (p *coqlParser) integer() (int, *apiError) {
	t, ok := p.next()
	if !ok {
		return 0, p.syntax()
	}
	n, err := strconv.Atoi(t.text)
	if err != nil || n < 0 || t.quoted {
		p.i--
		return 0, p.syntax()
	}
	return n, nil
}
