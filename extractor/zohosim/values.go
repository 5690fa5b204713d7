package zohosim

import (
	"strconv"
	"time"
)

// fieldsPerUpdate is how many fields one update changes (besides Modified_Time).
const fieldsPerUpdate = 4

// row is one record being written: where it lives and the hashes its values use.
type row struct {
	t     *table
	idx   int
	rh    uint64
	ver   int
	salts []uint16 // per field: the update that last changed it; nil when never updated
}

// row prepares record idx of t for writing. base ignores updates (for names).
func (d *dataset) row(t *table, idx int, base bool) row {
	r := row{t: t, idx: idx, rh: t.recHash(idx)}
	if base || t.no == 0 {
		return r
	}
	r.ver = int(t.ver[idx])
	if r.ver > 0 {
		r.salts = make([]uint16, len(t.m.fields))
		for u := 1; u <= r.ver; u++ {
			for _, fi := range changedFields(t, idx, u) {
				r.salts[fi] = uint16(u)
			}
		}
	}
	return r
}

// changedFields returns the indexes of the fields update u of record idx changed.
func changedFields(t *table, idx, u int) []int {
	if len(t.mut) == 0 {
		return nil
	}
	h := key2(t.recHash(idx), uint64(u)<<32|0xfeed)
	out := make([]int, 0, fieldsPerUpdate)
	for i := range fieldsPerUpdate {
		out = append(out, t.mut[pick(key2(h, uint64(i)), len(t.mut))])
	}
	return out
}

// hash returns the hash field f's value of the row derives from.
func (r *row) hash(f *field) uint64 {
	s := uint64(0)
	if r.salts != nil {
		s = uint64(r.salts[f.idx])
	}
	return key2(r.rh, uint64(f.idx)|s<<20)
}

// appendValue appends the JSON value of field f of a row.
func (d *dataset) appendValue(b []byte, r *row, f *field) []byte {
	if f.link != nil {
		return d.appendLink(b, r, f, false)
	}
	switch f.kind {
	case kCreatedTime:
		return d.appendTime(b, d.created(r.t, r.idx))
	case kModifiedTime:
		return d.appendTime(b, r.t.mod[r.idx])
	case kCreatedBy:
		return d.appendUser(b, pick(key2(r.rh, 1), d.users().n0))
	case kModifiedBy:
		return d.appendUser(b, pick(key2(r.rh, uint64(2+r.ver)), d.users().n0))
	case kAutoNumber:
		return appendCode(b, f.prefix, r.idx+1, 5)
	}
	h := r.hash(f)
	if f.null > 0 && h%100 < uint64(f.null) {
		return append(b, "null"...)
	}
	return d.appendScalar(b, r, f, mix(h))
}

// appendScalar appends a non-null generated value of field f drawn from h.
func (d *dataset) appendScalar(b []byte, r *row, f *field, h uint64) []byte {
	switch f.kind {
	case kText, kPicklist:
		v := f.vocab
		if v == nil {
			v = nouns
		}
		return append(b, v.quoted[pick(h, v.n())]...)
	case kCode:
		return appendCode(b, f.prefix, int(h%1_000_000), 6)
	case kPhrase:
		return appendPhrase(b, h)
	case kTextarea:
		return appendText(b, h)
	case kEmail:
		return appendEmail(b, h)
	case kPhone:
		return appendPhone(b, h)
	case kWebsite:
		b = append(b, `"https://www.`...)
		b = append(b, domains.inner[pick(h, domains.n())]...)
		return append(b, '"')
	case kMulti:
		return appendMulti(b, f.vocab, h)
	case kDate:
		return appendDate(b, f, h)
	case kDateTime:
		return d.appendTime(b, epochStart+int64(h%uint64(epochEnd-epochStart)))
	case kCurrency, kDouble, kFormula:
		return appendAmount(b, f, h)
	case kPercent:
		return strconv.AppendFloat(b, float64(h%10001)/100, 'f', -1, 64)
	case kInteger:
		lo, hi := f.lo, f.hi
		if hi == 0 {
			hi = 1000
		}
		return strconv.AppendInt(b, lo+int64(h%uint64(hi-lo+1)), 10)
	case kBool:
		return strconv.AppendBool(b, h&1 == 1)
	}
	return d.appendRich(b, r, f, h)
}

// appendRich appends the values of names, places and structured fields.
func (d *dataset) appendRich(b []byte, r *row, f *field, h uint64) []byte {
	switch f.kind {
	case kFirstName:
		return append(b, firstNames.quoted[pick(h, firstNames.n())]...)
	case kLastName:
		return append(b, lastNames.quoted[pick(h, lastNames.n())]...)
	case kFullName:
		return d.appendFullName(b, r, f, h)
	case kCompany:
		return d.appendCompany(b, r, f, h)
	case kCity:
		return append(b, cities.quoted[pick(h, cities.n())]...)
	case kState:
		return append(b, states.quoted[pick(h, states.n())]...)
	case kCountry:
		return append(b, countries.quoted[pick(h, countries.n())]...)
	case kStreet:
		b = append(b, '"')
		b = strconv.AppendInt(b, int64(1+h%400), 10)
		b = append(b, ' ')
		b = append(b, streets.inner[pick(mix(h), streets.n())]...)
		return append(b, '"')
	case kZip:
		return appendCode(b, "", int(h%1_000_000), 6)
	case kUser:
		return d.appendUser(b, pick(h, d.users().n0))
	case kTag:
		return d.appendTags(b, h)
	case kLayout:
		return d.appendLayout(b, h)
	case kSubform:
		return d.appendSubform(b, r, h)
	case kReminder:
		return d.appendReminder(b, h)
	case kRRule:
		return appendRRule(b, h)
	case kParticipants:
		return d.appendParticipants(b, h)
	}
	return append(b, "null"...)
}

// appendFullName appends a person's name. The module's name field agrees with the
// record's First_Name and Last_Name; other person fields draw their own.
func (d *dataset) appendFullName(b []byte, r *row, f *field, h uint64) []byte {
	first, last := pick(h, firstNames.n()), pick(mix(h), lastNames.n())
	hasFirst := true
	if f == r.t.m.name {
		fn, ln := r.t.m.byAPI["First_Name"], r.t.m.byAPI["Last_Name"]
		fh, lh := r.hash(fn), r.hash(ln)
		hasFirst = fh%100 >= uint64(fn.null)
		first, last = pick(mix(fh), firstNames.n()), pick(mix(lh), lastNames.n())
	}
	b = append(b, '"')
	if hasFirst {
		b = append(b, firstNames.inner[first]...)
		b = append(b, ' ')
	}
	b = append(b, lastNames.inner[last]...)
	return append(b, '"')
}

// appendCompany appends a company name; the module's name field is made unique by
// the record's number.
func (d *dataset) appendCompany(b []byte, r *row, f *field, h uint64) []byte {
	b = append(b, '"')
	b = append(b, companies.inner[pick(h, companies.n())]...)
	if f == r.t.m.name {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(r.idx+1), 10)
	}
	return append(b, '"')
}

// appendCode appends a quoted prefix and a zero-padded number.
func appendCode(b []byte, prefix string, n, width int) []byte {
	b = append(b, '"')
	b = append(b, prefix...)
	s := strconv.Itoa(n)
	for range width - len(s) {
		b = append(b, '0')
	}
	b = append(b, s...)
	return append(b, '"')
}

// appendPhrase appends a short title such as "Strategic renewal #4821".
func appendPhrase(b []byte, h uint64) []byte {
	b = append(b, '"')
	b = append(b, adjectives.inner[pick(h, adjectives.n())]...)
	b = append(b, ' ')
	b = append(b, nouns.inner[pick(mix(h), nouns.n())]...)
	b = append(b, " #"...)
	b = strconv.AppendInt(b, int64(h%10000), 10)
	return append(b, '"')
}

// appendText appends one to four sentences separated by newlines.
func appendText(b []byte, h uint64) []byte {
	b = append(b, '"')
	for i := range 1 + int(h%4) {
		if i > 0 {
			b = append(b, `\n`...)
		}
		h = mix(h)
		b = append(b, sentences.inner[pick(h, sentences.n())]...)
	}
	return append(b, '"')
}

// appendEmail appends an address such as "mary.4821@zylker.com".
func appendEmail(b []byte, h uint64) []byte {
	b = append(b, '"')
	b = append(b, slugs.inner[pick(h, slugs.n())]...)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(h%100000), 10)
	b = append(b, '@')
	b = append(b, domains.inner[pick(mix(h), domains.n())]...)
	return append(b, '"')
}

// phoneCodes are the country codes phone numbers use.
var phoneCodes = []string{"+91 ", "+49 ", "+1 ", "+44 ", "+81 ", "+61 "}

// appendPhone appends a phone number with a country code.
func appendPhone(b []byte, h uint64) []byte {
	b = append(b, '"')
	b = append(b, phoneCodes[pick(h, len(phoneCodes))]...)
	b = strconv.AppendInt(b, int64(7_000_000_000+h%2_999_999_999), 10)
	return append(b, '"')
}

// appendMulti appends a multi-select value: one to three distinct options.
func appendMulti(b []byte, v *vocab, h uint64) []byte {
	b = append(b, '[')
	start, n := pick(h, v.n()), 1+int(mix(h)%3)
	for i := range min(n, v.n()) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, v.quoted[(start+i*2)%v.n()]...)
	}
	return append(b, ']')
}

// appendDate appends a YYYY-MM-DD date, rng days from epochStart (default: the
// history plus a year).
func appendDate(b []byte, f *field, h uint64) []byte {
	lo, hi := f.lo, f.hi
	if lo == 0 && hi == 0 {
		hi = (epochEnd-epochStart)/86400 + 365
	}
	day := epochStart + (lo+int64(h%uint64(hi-lo+1)))*86400
	b = append(b, '"')
	b = time.Unix(day, 0).UTC().AppendFormat(b, time.DateOnly)
	return append(b, '"')
}

// appendAmount appends a decimal number in [lo, hi) with at most two decimals.
func appendAmount(b []byte, f *field, h uint64) []byte {
	lo, hi := f.lo, f.hi
	if hi == 0 {
		hi = 100000
	}
	cents := lo*100 + int64(h%uint64((hi-lo)*100))
	return strconv.AppendFloat(b, float64(cents)/100, 'f', -1, 64)
}

// tagNames are the organisation's tags.
var tagNames = newVocab("VIP", "Hot", "Churn risk", "Partner", "Event 2024", "Renewal",
	"Référence", "要フォロー")

// tagColours are the tags' colour codes.
var tagColours = []string{"#F17574", "#57B1FD", "#F8E199", "#A8C4E5", "#63C57E"}

// appendTags appends a Tag array of one or two tags.
func (d *dataset) appendTags(b []byte, h uint64) []byte {
	b = append(b, '[')
	first := pick(h, tagNames.n())
	for i := range 1 + int(mix(h)%2) {
		t := (first + i*3) % tagNames.n()
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = append(b, tagNames.quoted[t]...)
		b = append(b, `,"id":`...)
		b = d.appendID(b, numTag, t)
		b = append(b, `,"color_code":"`...)
		b = append(b, tagColours[t%len(tagColours)]...)
		b = append(b, `"}`...)
	}
	return append(b, ']')
}

// appendLayout appends a Layout value: most records use the standard layout.
func (d *dataset) appendLayout(b []byte, h uint64) []byte {
	n, name := 0, "Standard"
	if h%10 == 0 {
		n, name = 1, "Partner Layout"
	}
	b = append(b, `{"name":"`...)
	b = append(b, name...)
	b = append(b, `","id":`...)
	b = d.appendID(b, numLayout, n)
	return append(b, '}')
}

// appendSubform appends one to three subform rows, each with its own id.
func (d *dataset) appendSubform(b []byte, r *row, h uint64) []byte {
	b = append(b, '[')
	for i := range 1 + int(h%3) {
		rh := key2(h, uint64(i))
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = d.appendID(b, numSubformRow+r.t.m.num, r.idx*4+i)
		b = append(b, `,"Item":`...)
		b = appendPhrase(b, rh)
		b = append(b, `,"Quantity":`...)
		b = strconv.AppendInt(b, int64(1+rh%50), 10)
		b = append(b, `,"Unit_Price":`...)
		b = appendAmount(b, &field{lo: 10, hi: 5000}, mix(rh))
		b = append(b, `,"Due_Date":`...)
		b = appendDate(b, &field{}, rh>>7)
		b = append(b, `,"Billable":`...)
		b = strconv.AppendBool(b, rh&2 == 0)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendReminder appends a Remind_At value.
func (d *dataset) appendReminder(b []byte, h uint64) []byte {
	span := uint64(epochEnd - epochStart)
	b = append(b, `{"ALARM":"FREQ=NONE;ACTION=EMAILANDPOPUP;TRIGGER=DATE-TIME:`...)
	ts := d.appendTime(nil, epochStart+int64(h%span))
	b = append(b, ts[1:len(ts)-1]...)
	return append(b, `"}`...)
}

// rruleFreqs are the recurrence frequencies of recurring activities.
var rruleFreqs = []string{"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}

// appendRRule appends a Recurring_Activity value.
func appendRRule(b []byte, h uint64) []byte {
	b = append(b, `{"RRULE":"FREQ=`...)
	b = append(b, rruleFreqs[pick(h, len(rruleFreqs))]...)
	b = append(b, ";INTERVAL="...)
	b = strconv.AppendInt(b, int64(1+h%3), 10)
	b = append(b, ";COUNT="...)
	b = strconv.AppendInt(b, int64(2+mix(h)%10), 10)
	return append(b, `"}`...)
}

// appendParticipants appends an Events Participants array of users and addresses.
func (d *dataset) appendParticipants(b []byte, h uint64) []byte {
	b = append(b, '[')
	for i := range 1 + int(h%3) {
		ph := key2(h, uint64(i))
		if i > 0 {
			b = append(b, ',')
		}
		if ph%2 == 0 {
			u := pick(ph, d.users().n0)
			b = append(b, `{"name":`...)
			b = d.appendUserName(b, u)
			b = append(b, `,"Email":`...)
			b = d.appendUserEmail(b, u)
			b = append(b, `,"invited":true,"type":"user","participant":`...)
			b = d.appendID(b, 1, u)
		} else {
			b = append(b, `{"name":null,"Email":`...)
			mail := appendEmail(nil, ph)
			b = append(b, mail...)
			b = append(b, `,"invited":false,"type":"email","participant":`...)
			b = append(b, mail...)
		}
		b = append(b, `,"status":"not_known","id":`...)
		b = d.appendID(b, numSubformRow+10, int(ph%9_000_000))
		b = append(b, '}')
	}
	return append(b, ']')
}

// recordMeta returns the record-level $ keys of module m, the same on every record.
func recordMeta(m *module) []byte {
	meta := `"$approval":{"delegate":false,"approve":false,"reject":false,` +
		`"resubmit":false},"$approved":true,"$editable":true,"$in_merge":false,` +
		`"$locked_for_me":false,"$process_flow":false,"$review_process":{"approve":false,` +
		`"reject":false,"resubmit":false},"$state":"save","$field_states":null,`
	if m.currency {
		meta += `"$currency_symbol":"₹",`
	}
	return []byte(meta)
}
