package mapping

// Defaults returns the built-in rules: Owner of every module, the standard
// lookups of Zoho's standard modules, the activities' polymorphic What_Id
// and Who_Id, and Notes' Parent_Id. Created_By and Modified_By are not
// among them: they stay properties unless a mapping file adds them.
func Defaults() []Rule {
	rules := []Rule{
		{Module: AnyModule, Field: "Owner", Type: "OWNED_BY", Target: "Users"},

		{Module: "Contacts", Field: "Account_Name", Type: "WORKS_AT", Target: "Accounts"},
		{Module: "Contacts", Field: "Reporting_To", Type: "REPORTS_TO", Target: "Contacts"},
		{Module: "Contacts", Field: "Vendor_Name", Type: "SUPPLIED_BY", Target: "Vendors"},
		{Module: "Accounts", Field: "Parent_Account", Type: "CHILD_OF", Target: "Accounts"},
		{Module: "Deals", Field: "Account_Name", Type: "FOR_ACCOUNT", Target: "Accounts"},
		{Module: "Deals", Field: "Contact_Name", Type: "HAS_CONTACT", Target: "Contacts"},
		{Module: "Deals", Field: "Campaign_Source", Type: "FROM_CAMPAIGN", Target: "Campaigns"},
		{Module: "Campaigns", Field: "Parent_Campaign", Type: "CHILD_OF", Target: "Campaigns"},
		{Module: "Leads", Field: "Converted_Account", Type: "CONVERTED_TO", Target: "Accounts"},
		{Module: "Leads", Field: "Converted_Contact", Type: "CONVERTED_TO", Target: "Contacts"},
		{Module: "Leads", Field: "Converted_Deal", Type: "CONVERTED_TO", Target: "Deals"},
		{Module: "Products", Field: "Vendor_Name", Type: "SUPPLIED_BY", Target: "Vendors"},
		{Module: "Cases", Field: "Account_Name", Type: "FOR_ACCOUNT", Target: "Accounts"},
		{Module: "Cases", Field: "Deal_Name", Type: "FOR_DEAL", Target: "Deals"},
		{Module: "Cases", Field: "Product_Name", Type: "FOR_PRODUCT", Target: "Products"},
		{Module: "Quotes", Field: "Deal_Name", Type: "FOR_DEAL", Target: "Deals"},
		{Module: "Quotes", Field: "Account_Name", Type: "FOR_ACCOUNT", Target: "Accounts"},
		{Module: "Quotes", Field: "Contact_Name", Type: "HAS_CONTACT", Target: "Contacts"},
		{Module: "Sales_Orders", Field: "Quote_Name", Type: "FROM_QUOTE", Target: "Quotes"},
		{Module: "Sales_Orders", Field: "Deal_Name", Type: "FOR_DEAL", Target: "Deals"},
		{Module: "Sales_Orders", Field: "Account_Name", Type: "FOR_ACCOUNT", Target: "Accounts"},
		{Module: "Sales_Orders", Field: "Contact_Name", Type: "HAS_CONTACT", Target: "Contacts"},
		{Module: "Invoices", Field: "Sales_Order", Type: "FOR_ORDER", Target: "Sales_Orders"},
		{Module: "Invoices", Field: "Account_Name", Type: "FOR_ACCOUNT", Target: "Accounts"},
		{Module: "Invoices", Field: "Contact_Name", Type: "HAS_CONTACT", Target: "Contacts"},
		{Module: "Purchase_Orders", Field: "Vendor_Name", Type: "SUPPLIED_BY", Target: "Vendors"},
		{Module: "Purchase_Orders", Field: "Contact_Name", Type: "HAS_CONTACT", Target: "Contacts"},

		{Module: "Notes", Field: "Parent_Id", Type: "NOTE_ON", Target: TargetValueModule},
	}
	for _, m := range []string{"Tasks", "Calls", "Events"} {
		rules = append(rules,
			Rule{Module: m, Field: "What_Id", Type: "ABOUT", Target: TargetSEModule},
			Rule{Module: m, Field: "Who_Id", Type: "WITH", Target: "Contacts"})
	}
	return rules
}
