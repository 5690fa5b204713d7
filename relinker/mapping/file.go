package mapping

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
)

// File is a mapping file: label overrides, and per module the fields whose
// relationship type or target to change, the fields to add and the fields
// to disable. See mapping.example.yaml at the module root.
type File struct {
	// Labels maps a module's API name to the label of its nodes. It must
	// agree with the loader's label overrides.
	Labels map[string]string `yaml:"labels"`
	// Modules maps a module's API name (or "*" for every module) to its
	// field overrides, by field API name.
	Modules map[string]map[string]Override `yaml:"modules"`
}

// Override changes one field's rule. Fields left empty keep the value of
// the layer below; a field no layer below knows needs a type and a target.
type Override struct {
	// Type is the relationship type.
	Type string `yaml:"type"`
	// Target is the module the relationship points at, "$se_module" (read
	// from the record) or "$value.module" (read from the lookup value).
	Target string `yaml:"target"`
	// Disabled drops the field: it makes no relationship.
	Disabled bool `yaml:"disabled"`
}

// ReadFile reads a mapping file. An empty path gives an empty File.
func ReadFile(path string) (*File, error) {
	if path == "" {
		return &File{}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading mapping file: %w", err)
	}
	f, err := ParseFile(data)
	if err != nil {
		return nil, fmt.Errorf("mapping file %s: %w", path, err)
	}
	return f, nil
}

// ParseFile decodes a mapping file, refusing keys it does not know so
// that a misspelt setting is reported rather than ignored.
func ParseFile(data []byte) (*File, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("decoding mapping YAML: %w", err)
	}
	return &f, nil
}
