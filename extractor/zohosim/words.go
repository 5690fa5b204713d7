package zohosim

import "encoding/json"

// vocab is a list of strings with their JSON encodings computed once, so that the
// record writer appends bytes instead of escaping on every value.
type vocab struct {
	words  []string
	quoted [][]byte // JSON string literal, quotes included
	inner  [][]byte // JSON-escaped text without the quotes
}

// newVocab builds a vocab from words.
func newVocab(words ...string) *vocab {
	v := &vocab{words: words}
	for _, w := range words {
		q, err := json.Marshal(w)
		if err != nil {
			panic(err) // unreachable: strings always marshal
		}
		v.quoted = append(v.quoted, q)
		v.inner = append(v.inner, q[1:len(q)-1])
	}
	return v
}

// n reports how many words v holds.
func (v *vocab) n() int { return len(v.words) }

// The word lists. They mix plain ASCII with accents, other scripts, apostrophes,
// quotes and a backslash, so that every consumer's escaping and Unicode handling is
// exercised by ordinary records.
var (
	firstNames = newVocab("James", "Mary", "Zoë", "Søren", "José", "Łukasz", "Aiko",
		"Ngọc", "Иван", "Chloé", "Mohammed", "Priya", "Olivia", "Liam", "Émile",
		"Björn", "Ana-María", "Kenji", "Fatima", "Noah", "Siobhán", "Wei", "Amara",
		"Mateo", "Hannah", "Raj", "Yasmin", "Lars", "Ingrid", "Tomás", "Nia", "Arjun",
		"Grace", "Dmitri", "Leïla", "Oskar", "Sofía", "Kwame", "Mei", "Ethan")
	lastNames = newVocab("Smith", "Ångström", "Müller", "Núñez", "Dvořák", "O'Connor",
		"van der Berg", "Øyelaran", "山田", "Johnson", "García", "Nakamura", "Kowalski",
		"Rossi", "Dubois", "Patel", "Nguyen", "Schmidt", "Ivanova", "Brown", "Lindqvist",
		"Okafor", "Silva", "Kim", "Moreau", "Jensen", "Fernández", "Chen", "Wilson",
		"Haddad", "Novak", "Yılmaz", "Murphy", "Costa", "Tanaka", "Becker", "Lopez")
	companies = newVocab("Zylker", "株式会社 山田商事", "Müller & Söhne GmbH",
		`Acme "Quoted" Ltd`, `Back\Slash Partners`, "Nordlys AS", "Café Olé SARL",
		"Rocket 🚀 Labs", "Ωmega Systems", "Blue Harbor Inc", "Greenfield Co",
		"Kōgyō Holdings", "Société Générale d'Études", "Zhōng Trading", "Vértice SA",
		"Northwind Traders", "Contoso", "Fabrikam", "Tailspin Toys", "Litware",
		"Adventure Works", "Proseware", "Lucerne Publishing", "Wingtip Toys",
		"Fourth Coffee", "Alpine Ski House", "Coho Winery", "Humongous Insurance",
		"Margie's Travel", "Trey Research", "Wide World Importers", "Woodgrove Bank")
	nouns = newVocab("review", "renewal", "pricing", "onboarding", "demo", "contract",
		"integration", "upgrade", "audit", "workshop", "rollout", "migration", "proposal",
		"follow-up", "kickoff", "escalation", "forecast", "budget", "pilot", "training")
	adjectives = newVocab("quarterly", "annual", "urgent", "strategic", "technical",
		"regional", "global", "enterprise", "initial", "final", "revised", "joint")
	cities = newVocab("Chennai", "München", "São Paulo", "Zürich", "Kraków", "東京",
		"New York", "London", "Paris", "Bengaluru", "Sydney", "Toronto", "Reykjavík",
		"Dubai", "Singapore", "Austin", "Lyon", "Malmö", "Porto", "Seoul")
	states = newVocab("Tamil Nadu", "Bayern", "São Paulo", "Zürich", "Małopolskie",
		"Tokyo", "New York", "England", "Île-de-France", "Karnataka", "NSW", "Ontario")
	countries = newVocab("India", "Germany", "Brazil", "Switzerland", "Poland", "Japan",
		"United States", "United Kingdom", "France", "Australia", "Canada", "Iceland",
		"United Arab Emirates", "Singapore", "South Korea", "Sweden", "Portugal")
	streets = newVocab("MG Road", "Leopoldstraße", "Avenida Paulista", "Bahnhofstrasse",
		"ul. Floriańska", "Ginza 4-chōme", "5th Avenue", "Baker Street", "Rue de Rivoli",
		"Brigade Road", "George Street", "Queen St W", "Laugavegur", "Orchard Road")
	domains = newVocab("zylker.com", "example.org", "acme.test", "nordlys.no",
		"mueller.de", "yamada.co.jp", "harbor.io", "greenfield.co.uk", "omega.dev")
	slugs = newVocab("james", "mary", "zoe", "soren", "jose", "lukasz", "aiko", "ngoc",
		"ivan", "chloe", "mohammed", "priya", "olivia", "liam", "emile", "bjorn",
		"ana.maria", "kenji", "fatima", "noah", "siobhan", "wei", "amara", "mateo")
	sentences = newVocab(
		"Customer asked for a revised quote before the end of the quarter.",
		"Discussed the migration plan; they want a pilot in two regions first.",
		"Follow up on the integration questions raised by their IT team.",
		"Budget approved — waiting for the purchase order from procurement.",
		"Le client souhaite une démonstration en français la semaine prochaine.",
		"Kunde wünscht ein Angebot inklusive Schulung für 25 Nutzer.",
		"来週の打ち合わせで価格について再度確認する。",
		"Contract renewal is due; champion left the company in March.",
		"They compare us with two competitors; pricing is the main concern.",
		"Escalated a support ticket about data export; resolved within SLA.",
		"Needs SSO and audit logs before signing. Security review scheduled.",
		"Quote \"Q-2291\" sent; legal wants changes to clause 7\\b.")
)
