package run

import (
	"context"
	"fmt"
	"slices"

	"github.com/crmgraph/crmgraph/events"
	"github.com/crmgraph/crmgraph/extractor/zoho"
)

// skippedTypes are module kinds settings/modules lists that hold no records
// of their own: linking modules and subforms arrive inside their parents.
var skippedTypes = []string{"linking_module", "subform"}

// plan returns the modules of the run: Users first, then the configured
// modules or every module settings/modules marks api_supported.
func (x *Run) plan(ctx context.Context) ([]string, error) {
	names := slices.Clone(x.r.cfg.Modules)
	if len(names) == 0 {
		mods, err := x.r.zoho.Modules(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range mods {
			if !m.APISupported || slices.Contains(skippedTypes, m.GeneratedType) {
				continue
			}
			if !events.ValidToken(m.APIName) {
				x.log.Warn("module skipped: name is not a safe subject token",
					"module", m.APIName)
				continue
			}
			names = append(names, m.APIName)
		}
	}
	names = slices.DeleteFunc(names, func(n string) bool { return n == zoho.UsersModule })
	if len(names) == 0 {
		return nil, fmt.Errorf("planning run %s: %w", x.ID, ErrNoModules)
	}
	return append([]string{zoho.UsersModule}, names...), nil
}
