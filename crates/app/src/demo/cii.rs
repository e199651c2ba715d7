//! Writes a demo invoice as UN/CEFACT Cross Industry Invoice D16B, EN 16931 guideline (the profile
//! XRechnung CII and Factur-X EN 16931 use).
//!
//! CII is sequence-bound too: elements follow the D16B schema order (as restricted by the Factur-X
//! EN 16931 profile). Amounts carry no `currencyID` except `TaxTotalAmount`, as EN 16931 CII wants.

use super::calc::{Totals, amount_text, decimal_text};
use super::model::{Basis, Invoice, PartyData, Tax};
use super::xml::Xml;
use chrono::NaiveDate;
use folio_domain::Currency;

pub(super) const GUIDELINE_ID: &str = "urn:cen.eu:en16931:2017";
const RSM: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
const RAM: &str =
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
const QDT: &str = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100";
const UDT: &str = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";

struct Writer {
    xml: Xml,
    currency: Currency,
}

impl Writer {
    fn amount(&mut self, tag: &str, value: rust_decimal::Decimal) {
        let text = amount_text(value, self.currency);
        self.xml.text(tag, &text);
    }

    /// `<tag><udt:DateTimeString format="102">YYYYMMDD</udt:DateTimeString></tag>`; `qdt` for
    /// the formatted dates of referenced documents.
    fn date(&mut self, tag: &str, prefix: &str, date: NaiveDate) {
        self.xml.open(tag);
        self.xml.text_with(
            &format!("{prefix}:DateTimeString"),
            &[("format", "102")],
            &date.format("%Y%m%d").to_string(),
        );
        self.xml.close(tag);
    }

    fn category_tax(&mut self, tag: &str, tax: Tax) {
        self.xml.open(tag);
        self.xml.text("ram:TypeCode", "VAT");
        self.xml.text("ram:CategoryCode", tax.category().code());
        if let Some(rate) = tax.rate() {
            self.xml
                .text("ram:RateApplicablePercent", &decimal_text(rate, 0));
        }
        self.xml.close(tag);
    }

    fn address(&mut self, party: &PartyData) {
        let xml = &mut self.xml;
        xml.open("ram:PostalTradeAddress");
        xml.text("ram:PostcodeCode", &party.postal_code);
        xml.text("ram:LineOne", &party.street);
        xml.text("ram:CityName", &party.city);
        xml.text("ram:CountryID", party.country);
        xml.opt_text("ram:CountrySubDivisionName", party.subdivision.as_deref());
        xml.close("ram:PostalTradeAddress");
    }

    fn party(&mut self, tag: &str, party: &PartyData) {
        self.xml.open(tag);
        self.xml.text("ram:Name", &party.name);
        if let Some((id, scheme)) = &party.legal_id {
            self.xml.open("ram:SpecifiedLegalOrganization");
            match scheme {
                Some(scheme) => self.xml.text_with("ram:ID", &[("schemeID", scheme)], id),
                None => self.xml.text("ram:ID", id),
            }
            self.xml.close("ram:SpecifiedLegalOrganization");
        }
        self.xml.open("ram:DefinedTradeContact");
        self.xml.text("ram:PersonName", &party.contact);
        self.xml.wrapped(
            "ram:TelephoneUniversalCommunication",
            "ram:CompleteNumber",
            &party.phone,
        );
        self.xml.wrapped(
            "ram:EmailURIUniversalCommunication",
            "ram:URIID",
            &party.email,
        );
        self.xml.close("ram:DefinedTradeContact");
        self.address(party);
        let (scheme, id) = &party.endpoint;
        self.xml.open("ram:URIUniversalCommunication");
        self.xml.text_with("ram:URIID", &[("schemeID", scheme)], id);
        self.xml.close("ram:URIUniversalCommunication");
        if let Some(vat_id) = &party.vat_id {
            self.xml.open("ram:SpecifiedTaxRegistration");
            self.xml.text_with("ram:ID", &[("schemeID", "VA")], vat_id);
            self.xml.close("ram:SpecifiedTaxRegistration");
        }
        self.xml.close(tag);
    }
}

pub(super) fn write(invoice: &Invoice, totals: &Totals) -> Vec<u8> {
    let currency = invoice.currency;
    let mut w = Writer {
        xml: Xml::start(),
        currency,
    };
    w.xml.open_with(
        "rsm:CrossIndustryInvoice",
        &[
            ("xmlns:rsm", RSM),
            ("xmlns:ram", RAM),
            ("xmlns:qdt", QDT),
            ("xmlns:udt", UDT),
        ],
    );
    w.xml.open("rsm:ExchangedDocumentContext");
    w.xml.wrapped(
        "ram:GuidelineSpecifiedDocumentContextParameter",
        "ram:ID",
        GUIDELINE_ID,
    );
    w.xml.close("rsm:ExchangedDocumentContext");

    w.xml.open("rsm:ExchangedDocument");
    w.xml.text("ram:ID", &invoice.number);
    w.xml.text(
        "ram:TypeCode",
        if invoice.credit_note { "381" } else { "380" },
    );
    w.date("ram:IssueDateTime", "udt", invoice.issue_date);
    if let Some(note) = &invoice.note {
        w.xml.wrapped("ram:IncludedNote", "ram:Content", note);
    }
    w.xml.close("rsm:ExchangedDocument");

    w.xml.open("rsm:SupplyChainTradeTransaction");
    let minor = currency.minor_units();
    for (index, (line, net)) in invoice.lines.iter().zip(&totals.line_nets).enumerate() {
        w.xml.open("ram:IncludedSupplyChainTradeLineItem");
        w.xml.wrapped(
            "ram:AssociatedDocumentLineDocument",
            "ram:LineID",
            &(index + 1).to_string(),
        );
        w.xml.open("ram:SpecifiedTradeProduct");
        w.xml
            .opt_text("ram:SellerAssignedID", line.seller_item_id.as_deref());
        w.xml.text("ram:Name", &line.name);
        w.xml
            .opt_text("ram:Description", line.description.as_deref());
        w.xml.close("ram:SpecifiedTradeProduct");
        w.xml.open("ram:SpecifiedLineTradeAgreement");
        w.xml.wrapped(
            "ram:NetPriceProductTradePrice",
            "ram:ChargeAmount",
            &decimal_text(line.price, minor),
        );
        w.xml.close("ram:SpecifiedLineTradeAgreement");
        w.xml.open("ram:SpecifiedLineTradeDelivery");
        w.xml.text_with(
            "ram:BilledQuantity",
            &[("unitCode", line.unit)],
            &decimal_text(line.quantity, 0),
        );
        w.xml.close("ram:SpecifiedLineTradeDelivery");
        w.xml.open("ram:SpecifiedLineTradeSettlement");
        w.category_tax("ram:ApplicableTradeTax", line.tax);
        w.xml
            .open("ram:SpecifiedTradeSettlementLineMonetarySummation");
        w.amount("ram:LineTotalAmount", *net);
        w.xml
            .close("ram:SpecifiedTradeSettlementLineMonetarySummation");
        w.xml.close("ram:SpecifiedLineTradeSettlement");
        w.xml.close("ram:IncludedSupplyChainTradeLineItem");
    }

    w.xml.open("ram:ApplicableHeaderTradeAgreement");
    w.xml.text("ram:BuyerReference", &invoice.buyer_reference);
    w.party("ram:SellerTradeParty", &invoice.seller);
    w.party("ram:BuyerTradeParty", &invoice.buyer);
    if let Some(order) = &invoice.order_reference {
        w.xml.wrapped(
            "ram:BuyerOrderReferencedDocument",
            "ram:IssuerAssignedID",
            order,
        );
    }
    w.xml.close("ram:ApplicableHeaderTradeAgreement");

    w.xml.open("ram:ApplicableHeaderTradeDelivery");
    if let Some(date) = invoice.delivery_date {
        let buyer = &invoice.buyer;
        w.xml.open("ram:ShipToTradeParty");
        w.xml.text("ram:Name", &buyer.name);
        let buyer = buyer.clone();
        w.address(&buyer);
        w.xml.close("ram:ShipToTradeParty");
        w.xml.open("ram:ActualDeliverySupplyChainEvent");
        w.date("ram:OccurrenceDateTime", "udt", date);
        w.xml.close("ram:ActualDeliverySupplyChainEvent");
    }
    w.xml.close("ram:ApplicableHeaderTradeDelivery");

    w.xml.open("ram:ApplicableHeaderTradeSettlement");
    if invoice.payment.is_some() {
        w.xml.text("ram:PaymentReference", &invoice.number);
    }
    w.xml.text("ram:InvoiceCurrencyCode", currency.code());
    if let Some(payee) = &invoice.payee {
        w.xml.open("ram:PayeeTradeParty");
        w.xml.text("ram:Name", &payee.name);
        w.xml
            .wrapped("ram:SpecifiedLegalOrganization", "ram:ID", &payee.legal_id);
        w.xml.close("ram:PayeeTradeParty");
    }
    if let Some(payment) = &invoice.payment {
        w.xml.open("ram:SpecifiedTradeSettlementPaymentMeans");
        w.xml.text("ram:TypeCode", payment.means_code);
        w.xml.open("ram:PayeePartyCreditorFinancialAccount");
        if payment.is_iban {
            w.xml.text("ram:IBANID", &payment.account_id);
            w.xml.text("ram:AccountName", &payment.account_name);
        } else {
            w.xml.text("ram:AccountName", &payment.account_name);
            w.xml.text("ram:ProprietaryID", &payment.account_id);
        }
        w.xml.close("ram:PayeePartyCreditorFinancialAccount");
        w.xml.close("ram:SpecifiedTradeSettlementPaymentMeans");
    }
    for group in &totals.groups {
        w.xml.open("ram:ApplicableTradeTax");
        w.amount("ram:CalculatedAmount", group.tax_amount);
        w.xml.text("ram:TypeCode", "VAT");
        let exemption = group.tax.exemption();
        if let Some((_, reason)) = exemption {
            w.xml.text("ram:ExemptionReason", reason);
        }
        w.amount("ram:BasisAmount", group.taxable);
        w.xml.text("ram:CategoryCode", group.tax.category().code());
        if let Some((code, _)) = exemption {
            w.xml.text("ram:ExemptionReasonCode", code);
        }
        if let Some(rate) = group.tax.rate() {
            w.xml
                .text("ram:RateApplicablePercent", &decimal_text(rate, 0));
        }
        w.xml.close("ram:ApplicableTradeTax");
    }
    for (ac, computed) in invoice
        .allowances_charges
        .iter()
        .zip(&totals.allowances_charges)
    {
        w.xml.open("ram:SpecifiedTradeAllowanceCharge");
        w.xml.wrapped(
            "ram:ChargeIndicator",
            "udt:Indicator",
            if ac.is_charge { "true" } else { "false" },
        );
        if let Basis::Percent(percent) = ac.basis {
            w.xml
                .text("ram:CalculationPercent", &decimal_text(percent, 0));
        }
        if let Some(base) = computed.base {
            w.amount("ram:BasisAmount", base);
        }
        w.amount("ram:ActualAmount", computed.amount);
        w.xml.text("ram:ReasonCode", ac.reason_code);
        w.xml.text("ram:Reason", &ac.reason);
        w.category_tax("ram:CategoryTradeTax", ac.tax);
        w.xml.close("ram:SpecifiedTradeAllowanceCharge");
    }
    w.xml.open("ram:SpecifiedTradePaymentTerms");
    w.xml.text("ram:Description", &invoice.terms);
    if let Some(due) = invoice.due_date {
        w.date("ram:DueDateDateTime", "udt", due);
    }
    w.xml.close("ram:SpecifiedTradePaymentTerms");
    w.xml
        .open("ram:SpecifiedTradeSettlementHeaderMonetarySummation");
    w.amount("ram:LineTotalAmount", totals.line_total);
    if !totals.charge_total.is_zero() {
        w.amount("ram:ChargeTotalAmount", totals.charge_total);
    }
    if !totals.allowance_total.is_zero() {
        w.amount("ram:AllowanceTotalAmount", totals.allowance_total);
    }
    w.amount("ram:TaxBasisTotalAmount", totals.tax_exclusive);
    let tax_total = amount_text(totals.tax_total, currency);
    w.xml.text_with(
        "ram:TaxTotalAmount",
        &[("currencyID", currency.code())],
        &tax_total,
    );
    w.amount("ram:GrandTotalAmount", totals.tax_inclusive);
    if !totals.prepaid.is_zero() {
        w.amount("ram:TotalPrepaidAmount", totals.prepaid);
    }
    w.amount("ram:DuePayableAmount", totals.payable);
    w.xml
        .close("ram:SpecifiedTradeSettlementHeaderMonetarySummation");
    if let Some((number, date)) = &invoice.preceding {
        w.xml.open("ram:InvoiceReferencedDocument");
        w.xml.text("ram:IssuerAssignedID", number);
        w.date("ram:FormattedIssueDateTime", "qdt", *date);
        w.xml.close("ram:InvoiceReferencedDocument");
    }
    w.xml.close("ram:ApplicableHeaderTradeSettlement");
    w.xml.close("rsm:SupplyChainTradeTransaction");
    w.xml.close("rsm:CrossIndustryInvoice");
    w.xml.finish()
}
