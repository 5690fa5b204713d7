package zoho

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
)

// Module is one module of the organisation as settings/modules lists it.
type Module struct {
	APIName string `json:"api_name"`
	// ModuleName is the module's name in the CRM user interface.
	ModuleName string `json:"module_name"`
	// APISupported reports whether the module can be read through the API.
	APISupported bool `json:"api_supported"`
	// GeneratedType is default, custom, linking_module or subform.
	GeneratedType string `json:"generated_type"`
}

// Field is one field of a module as settings/fields lists it.
type Field struct {
	APIName  string `json:"api_name"`
	DataType string `json:"data_type"`
	JSONType string `json:"json_type"`
	// Custom reports whether the organisation added the field.
	Custom bool `json:"custom_field"`
	// Lookup names the module a lookup field points at.
	Lookup struct {
		Module struct {
			APIName string `json:"api_name"`
		} `json:"module"`
	} `json:"lookup"`
}

// LookupModule returns the module a lookup field points at, or "".
func (f Field) LookupModule() string { return f.Lookup.Module.APIName }

// Modules lists the organisation's modules (settings/modules).
func (c *Client) Modules(ctx context.Context) ([]Module, error) {
	body, err := c.get(ctx, call{kind: "modules", what: "the module list",
		path: "/settings/modules", credits: 1})
	if err != nil {
		return nil, err
	}
	var r struct {
		Modules []Module `json:"modules"`
	}
	if err := decode(body, &r); err != nil {
		return nil, fmt.Errorf("decoding the module list: %w", err)
	}
	return r.Modules, nil
}

// Fields lists the fields of a module (settings/fields). A module whose
// metadata is not available answers 204 and gets no fields.
func (c *Client) Fields(ctx context.Context, module string) ([]Field, error) {
	body, err := c.get(ctx, call{kind: "fields", what: "the fields of " + module,
		path: "/settings/fields", query: url.Values{"module": {module}}, credits: 1})
	if err != nil {
		return nil, err
	}
	var r struct {
		Fields []Field `json:"fields"`
	}
	if err := decode(body, &r); err != nil {
		return nil, fmt.Errorf("decoding the fields of %s: %w", module, err)
	}
	return r.Fields, nil
}

// decode reads a JSON body into v, keeping numbers as json.Number. An empty
// body (204, 304) leaves v as it is.
func decode(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}
