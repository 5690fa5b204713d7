package zoho

import (
	"fmt"
	"slices"
	"strings"
)

// DataCenter is where a Zoho organisation lives: its accounts server, which
// issues tokens, and its API domain. Tokens of one data centre are refused
// by every other.
type DataCenter struct {
	// Name is the short name used in configuration: com, eu, in, ...
	Name string
	// AccountsURL is the accounts server, e.g. https://accounts.zoho.eu.
	AccountsURL string
	// APIURL is the API domain, e.g. https://www.zohoapis.eu. The token
	// response's api_domain takes precedence over it.
	APIURL string
}

// dataCenters is Zoho's list of data centres (zoho-api.md, section 1).
var dataCenters = []DataCenter{
	{"com", "https://accounts.zoho.com", "https://www.zohoapis.com"},
	{"eu", "https://accounts.zoho.eu", "https://www.zohoapis.eu"},
	{"in", "https://accounts.zoho.in", "https://www.zohoapis.in"},
	{"com.au", "https://accounts.zoho.com.au", "https://www.zohoapis.com.au"},
	{"jp", "https://accounts.zoho.jp", "https://www.zohoapis.jp"},
	{"ca", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca"},
	{"sa", "https://accounts.zoho.sa", "https://www.zohoapis.sa"},
	{"com.cn", "https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"},
	{"uk", "https://accounts.zoho.uk", "https://www.zohoapis.uk"},
}

// DataCenterNames lists the accepted data centre names.
func DataCenterNames() []string {
	names := make([]string, len(dataCenters))
	for i, dc := range dataCenters {
		names[i] = dc.Name
	}
	return names
}

// LookupDataCenter returns the data centre called name (case-insensitive;
// "us" is accepted for com).
func LookupDataCenter(name string) (DataCenter, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "us" {
		n = "com"
	}
	i := slices.IndexFunc(dataCenters, func(dc DataCenter) bool { return dc.Name == n })
	if i < 0 {
		return DataCenter{}, fmt.Errorf("data centre %q: want one of %s: %w",
			name, strings.Join(DataCenterNames(), ", "), ErrConfig)
	}
	return dataCenters[i], nil
}
