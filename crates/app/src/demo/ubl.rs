//! Writes a demo invoice as OASIS UBL 2.1 in the Peppol BIS Billing 3.0 profile.
//!
//! The UBL schema is sequence-bound, so every element below is emitted in the order of the UBL 2.1
//! `Invoice` / `CreditNote` schemas (which is also the order of the Peppol BIS 3 syntax tree).

use super::calc::{Totals, amount_text, decimal_text};
use super::model::{Invoice, PartyData, Tax};
use super::xml::Xml;
use folio_domain::Currency;

pub(super) const CUSTOMIZATION_ID: &str =
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0";
pub(super) const PROFILE_ID: &str = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0";
const CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

struct Writer<'a> {
    xml: Xml,
    currency: Currency,
    code: &'a str,
}

impl Writer<'_> {
    fn amount(&mut self, tag: &str, value: rust_decimal::Decimal) {
        let text = amount_text(value, self.currency);
        self.xml.text_with(tag, &[("currencyID", self.code)], &text);
    }

    fn tax_category(&mut self, tag: &str, tax: Tax, with_exemption: bool) {
        self.xml.open(tag);
        self.xml.text("cbc:ID", tax.category().code());
        if let Some(rate) = tax.rate() {
            self.xml.text("cbc:Percent", &decimal_text(rate, 0));
        }
        if with_exemption && let Some((code, reason)) = tax.exemption() {
            self.xml.text("cbc:TaxExemptionReasonCode", code);
            self.xml.text("cbc:TaxExemptionReason", reason);
        }
        self.xml.wrapped("cac:TaxScheme", "cbc:ID", "VAT");
        self.xml.close(tag);
    }

    fn address(&mut self, tag: &str, party: &PartyData) {
        let xml = &mut self.xml;
        xml.open(tag);
        xml.text("cbc:StreetName", &party.street);
        xml.text("cbc:CityName", &party.city);
        xml.text("cbc:PostalZone", &party.postal_code);
        xml.opt_text("cbc:CountrySubentity", party.subdivision.as_deref());
        xml.wrapped("cac:Country", "cbc:IdentificationCode", party.country);
        xml.close(tag);
    }

    fn party(&mut self, tag: &str, party: &PartyData) {
        self.xml.open(tag);
        self.xml.open("cac:Party");
        let (scheme, id) = &party.endpoint;
        self.xml
            .text_with("cbc:EndpointID", &[("schemeID", scheme)], id);
        self.xml.wrapped("cac:PartyName", "cbc:Name", &party.name);
        self.address("cac:PostalAddress", party);
        if let Some(vat_id) = &party.vat_id {
            self.xml.open("cac:PartyTaxScheme");
            self.xml.text("cbc:CompanyID", vat_id);
            self.xml.wrapped("cac:TaxScheme", "cbc:ID", "VAT");
            self.xml.close("cac:PartyTaxScheme");
        }
        self.xml.open("cac:PartyLegalEntity");
        self.xml.text("cbc:RegistrationName", &party.name);
        match &party.legal_id {
            Some((id, Some(scheme))) => {
                self.xml
                    .text_with("cbc:CompanyID", &[("schemeID", scheme)], id)
            }
            Some((id, None)) => self.xml.text("cbc:CompanyID", id),
            None => {}
        }
        self.xml.close("cac:PartyLegalEntity");
        self.xml.open("cac:Contact");
        self.xml.text("cbc:Name", &party.contact);
        self.xml.text("cbc:Telephone", &party.phone);
        self.xml.text("cbc:ElectronicMail", &party.email);
        self.xml.close("cac:Contact");
        self.xml.close("cac:Party");
        self.xml.close(tag);
    }
}

pub(super) fn write(invoice: &Invoice, totals: &Totals) -> Vec<u8> {
    let credit = invoice.credit_note;
    let root = if credit { "CreditNote" } else { "Invoice" };
    let namespace = format!("urn:oasis:names:specification:ubl:schema:xsd:{root}-2");
    let mut w = Writer {
        xml: Xml::start(),
        currency: invoice.currency,
        code: invoice.currency.code(),
    };
    w.xml.open_with(
        root,
        &[
            ("xmlns", &namespace),
            ("xmlns:cac", CAC),
            ("xmlns:cbc", CBC),
        ],
    );
    w.xml.text("cbc:CustomizationID", CUSTOMIZATION_ID);
    w.xml.text("cbc:ProfileID", PROFILE_ID);
    w.xml.text("cbc:ID", &invoice.number);
    w.xml.text(
        "cbc:IssueDate",
        &invoice.issue_date.format("%Y-%m-%d").to_string(),
    );
    if credit {
        w.xml.text("cbc:CreditNoteTypeCode", "381");
    } else {
        if let Some(due) = invoice.due_date {
            w.xml
                .text("cbc:DueDate", &due.format("%Y-%m-%d").to_string());
        }
        w.xml.text("cbc:InvoiceTypeCode", "380");
    }
    w.xml.opt_text("cbc:Note", invoice.note.as_deref());
    w.xml.text("cbc:DocumentCurrencyCode", w.code);
    w.xml.text("cbc:BuyerReference", &invoice.buyer_reference);
    if let Some(order) = &invoice.order_reference {
        w.xml.wrapped("cac:OrderReference", "cbc:ID", order);
    }
    if let Some((number, date)) = &invoice.preceding {
        w.xml.open("cac:BillingReference");
        w.xml.open("cac:InvoiceDocumentReference");
        w.xml.text("cbc:ID", number);
        w.xml
            .text("cbc:IssueDate", &date.format("%Y-%m-%d").to_string());
        w.xml.close("cac:InvoiceDocumentReference");
        w.xml.close("cac:BillingReference");
    }
    w.party("cac:AccountingSupplierParty", &invoice.seller);
    w.party("cac:AccountingCustomerParty", &invoice.buyer);
    if let Some(payee) = &invoice.payee {
        w.xml.open("cac:PayeeParty");
        w.xml.wrapped("cac:PartyName", "cbc:Name", &payee.name);
        w.xml
            .wrapped("cac:PartyLegalEntity", "cbc:CompanyID", &payee.legal_id);
        w.xml.close("cac:PayeeParty");
    }
    if let Some(date) = invoice.delivery_date {
        w.xml.open("cac:Delivery");
        w.xml.text(
            "cbc:ActualDeliveryDate",
            &date.format("%Y-%m-%d").to_string(),
        );
        w.xml.open("cac:DeliveryLocation");
        let buyer = invoice.buyer.clone();
        w.address("cac:Address", &buyer);
        w.xml.close("cac:DeliveryLocation");
        w.xml.close("cac:Delivery");
    }
    if let Some(payment) = &invoice.payment {
        w.xml.open("cac:PaymentMeans");
        w.xml.text("cbc:PaymentMeansCode", payment.means_code);
        w.xml.text("cbc:PaymentID", &invoice.number);
        w.xml.open("cac:PayeeFinancialAccount");
        w.xml.text("cbc:ID", &payment.account_id);
        w.xml.text("cbc:Name", &payment.account_name);
        w.xml.close("cac:PayeeFinancialAccount");
        w.xml.close("cac:PaymentMeans");
    }
    w.xml
        .wrapped("cac:PaymentTerms", "cbc:Note", &invoice.terms);
    for (ac, computed) in invoice
        .allowances_charges
        .iter()
        .zip(&totals.allowances_charges)
    {
        w.xml.open("cac:AllowanceCharge");
        w.xml.text(
            "cbc:ChargeIndicator",
            if ac.is_charge { "true" } else { "false" },
        );
        w.xml.text("cbc:AllowanceChargeReasonCode", ac.reason_code);
        w.xml.text("cbc:AllowanceChargeReason", &ac.reason);
        if let super::model::Basis::Percent(percent) = ac.basis {
            w.xml
                .text("cbc:MultiplierFactorNumeric", &decimal_text(percent, 0));
        }
        w.amount("cbc:Amount", computed.amount);
        if let Some(base) = computed.base {
            w.amount("cbc:BaseAmount", base);
        }
        w.tax_category("cac:TaxCategory", ac.tax, false);
        w.xml.close("cac:AllowanceCharge");
    }
    w.xml.open("cac:TaxTotal");
    w.amount("cbc:TaxAmount", totals.tax_total);
    for group in &totals.groups {
        w.xml.open("cac:TaxSubtotal");
        w.amount("cbc:TaxableAmount", group.taxable);
        w.amount("cbc:TaxAmount", group.tax_amount);
        w.tax_category("cac:TaxCategory", group.tax, true);
        w.xml.close("cac:TaxSubtotal");
    }
    w.xml.close("cac:TaxTotal");
    w.xml.open("cac:LegalMonetaryTotal");
    w.amount("cbc:LineExtensionAmount", totals.line_total);
    w.amount("cbc:TaxExclusiveAmount", totals.tax_exclusive);
    w.amount("cbc:TaxInclusiveAmount", totals.tax_inclusive);
    if !totals.allowance_total.is_zero() {
        w.amount("cbc:AllowanceTotalAmount", totals.allowance_total);
    }
    if !totals.charge_total.is_zero() {
        w.amount("cbc:ChargeTotalAmount", totals.charge_total);
    }
    if !totals.prepaid.is_zero() {
        w.amount("cbc:PrepaidAmount", totals.prepaid);
    }
    w.amount("cbc:PayableAmount", totals.payable);
    w.xml.close("cac:LegalMonetaryTotal");

    let (line_tag, quantity_tag) = if credit {
        ("cac:CreditNoteLine", "cbc:CreditedQuantity")
    } else {
        ("cac:InvoiceLine", "cbc:InvoicedQuantity")
    };
    let minor = invoice.currency.minor_units();
    for (index, (line, net)) in invoice.lines.iter().zip(&totals.line_nets).enumerate() {
        w.xml.open(line_tag);
        w.xml.text("cbc:ID", &(index + 1).to_string());
        w.xml.text_with(
            quantity_tag,
            &[("unitCode", line.unit)],
            &decimal_text(line.quantity, 0),
        );
        w.amount("cbc:LineExtensionAmount", *net);
        w.xml.open("cac:Item");
        w.xml
            .opt_text("cbc:Description", line.description.as_deref());
        w.xml.text("cbc:Name", &line.name);
        if let Some(id) = &line.seller_item_id {
            w.xml.wrapped("cac:SellersItemIdentification", "cbc:ID", id);
        }
        w.tax_category("cac:ClassifiedTaxCategory", line.tax, false);
        w.xml.close("cac:Item");
        w.xml.open("cac:Price");
        let price = decimal_text(line.price, minor);
        let code = w.code;
        w.xml
            .text_with("cbc:PriceAmount", &[("currencyID", code)], &price);
        w.xml.close("cac:Price");
        w.xml.close(line_tag);
    }
    w.xml.close(root);
    w.xml.finish()
}
