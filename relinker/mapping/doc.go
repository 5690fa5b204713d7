// Package mapping decides which fields of a CRM record become which graph
// relationships.
//
// A Mapping is built in three layers, each overriding the one before:
//
//  1. the built-in defaults (Defaults): Owner of every module, the
//     standard lookups of the standard modules with readable verbs
//     (Contact-[:WORKS_AT]->Account, Deal-[:FOR_ACCOUNT]->Account, ...),
//     the activities' What_Id (target module from $se_module) and Who_Id,
//     and Notes' Parent_Id (target module from the value's module);
//  2. the lookups found in the module schemas the extractor publishes on
//     crm.schema.<source>.<module>: every field of data type lookup, with
//     the type of the built-in table when the field is known there and the
//     generic LOOKUP_<FIELD> otherwise;
//  3. a YAML file (File) that changes types and targets, adds fields
//     (Created_By, for example) and disables fields.
//
// For each module the mapping gives a Module, which derives the links of
// one record from its JSON body. Only the fields the rules name are
// decoded (see scan.go): decoding whole bodies would dominate a relink.
package mapping
