package app

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"time"
)

// Settings binds flags to environment variables: each flag's default is
// taken from its variable when that is set, and a variable that cannot be
// parsed is reported by Err naming the variable and the accepted values.
type Settings struct {
	fs   *flag.FlagSet
	errs []error
}

// NewSettings wraps a flag set.
func NewSettings(fs *flag.FlagSet) *Settings { return &Settings{fs: fs} }

// String binds a string flag to env.
func (s *Settings) String(p *string, name, env, def, usage string) {
	if v, ok := os.LookupEnv(env); ok {
		def = v
	}
	s.fs.StringVar(p, name, def, usage+envNote(env))
}

// Int binds an int flag to env.
func (s *Settings) Int(p *int, name, env string, def int, usage string) {
	if v, ok := os.LookupEnv(env); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("%s=%q: want an integer", env, v))
		} else {
			def = n
		}
	}
	s.fs.IntVar(p, name, def, usage+envNote(env))
}

// Duration binds a duration flag (like 30s or 5m) to env.
func (s *Settings) Duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	if v, ok := os.LookupEnv(env); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("%s=%q: want a duration such as 30s or 5m", env, v))
		} else {
			def = d
		}
	}
	s.fs.DurationVar(p, name, def, usage+envNote(env))
}

// Bool binds a bool flag to env.
func (s *Settings) Bool(p *bool, name, env string, def bool, usage string) {
	if v, ok := os.LookupEnv(env); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("%s=%q: want true or false", env, v))
		} else {
			def = b
		}
	}
	s.fs.BoolVar(p, name, def, usage+envNote(env))
}

// Err returns the first environment variable that could not be parsed.
func (s *Settings) Err() error {
	if len(s.errs) > 0 {
		return s.errs[0]
	}
	return nil
}

func envNote(env string) string {
	if env == "" {
		return ""
	}
	return " (env " + env + ")"
}

// RedactURL returns u with any password replaced by "xxxxx", for logs and
// errors. A string that is not a URL is returned as "<unparsable URL>".
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "<unparsable URL>"
	}
	return p.Redacted()
}
