#include "policy/fields.h"

#include <assert.h>
#include <string.h>

const char *qtype_name(enum qtype t)
{
	static const char *const names[QT__COUNT] = {
		[QT_NONE] = "nothing",	[QT_BOOL] = "bool", [QT_INT] = "int",
		[QT_MONEY] = "money",	[QT_RATE] = "rate", [QT_DATE] = "date",
		[QT_STRING] = "string", [QT_NULL] = "null",
	};

	return (unsigned)t < QT__COUNT ? names[t] : "?";
}

static const char *const applicant_kinds[] = {
	"enterprise", "individual", "institution", "social", "other", NULL};
static const char *const contract_kinds[] = {
	"rent",	  "buy",   "build", "api", "private-deployment",
	"corpus", "grant", NULL};

const struct field_info field_table[F__COUNT] = {
	[F_APPLICANT_USCC] = {"applicant.uscc", QT_STRING, false,
			      "the applicant's USCC"},
	[F_APPLICANT_NAME] = {"applicant.name", QT_STRING, false,
			      "the applicant's registered name"},
	[F_APPLICANT_REGISTERED_CITY] =
		{"applicant.registered_city", QT_STRING, false,
		 "city of registration, lowercase pinyin"},
	[F_APPLICANT_INDUSTRY] = {"applicant.industry", QT_STRING, false,
				  "GB/T 4754 industry code"},
	[F_APPLICANT_SME] = {"applicant.sme", QT_BOOL, false,
			     "small or medium-sized enterprise"},
	[F_APPLICANT_STARTUP] = {"applicant.startup", QT_BOOL, false,
				 "start-up"},
	[F_APPLICANT_REGISTERED_MODEL] =
		{"applicant.registered_model", QT_BOOL, false,
		 "owns a registered generative foundation model"},
	[F_APPLICANT_LAST_BAD_CREDIT_ON] =
		{"applicant.last_bad_credit_on", QT_DATE, true,
		 "date of the last serious-dishonesty record, or null"},
	[F_APPLICANT_COMPUTE_CONTRACTS_YEAR] =
		{"applicant.compute_contracts_year", QT_MONEY, false,
		 "value of the applicant's compute contracts in this contract's calendar year, this one included"},
	[F_APPLICANT_AWARDED_YEAR] =
		{"applicant.awarded_year", QT_MONEY, false,
		 "awarded to the applicant under this measure in this fiscal year before this application"},
	[F_APPLICANT_KIND] =
		{"applicant.kind", QT_STRING, false,
		 "enterprise, individual, institution, social or other, from the USCC"},
	[F_SUPPLIER_USCC] = {"supplier.uscc", QT_STRING, false,
			     "the supplier's USCC"},
	[F_SUPPLIER_NAME] = {"supplier.name", QT_STRING, false,
			     "the supplier's registered name"},
	[F_SUPPLIER_PLATFORM_LISTED] =
		{"supplier.platform_listed", QT_BOOL, false,
		 "supplier listed on the city's platform"},
	[F_SUPPLIER_PFLOPS] =
		{"supplier.pflops", QT_INT, true,
		 "the supplier's computing capacity in PFLOPS as stated, or null"},
	[F_SUPPLIER_RACKS] =
		{"supplier.racks", QT_INT, true,
		 "racks of the supplier's data centre as stated, or null"},
	[F_CONTRACT_NUMBER] = {"contract.number", QT_STRING, false,
			       "contract number"},
	[F_CONTRACT_KIND] =
		{"contract.kind", QT_STRING, false,
		 "rent, buy, build, api, private-deployment, corpus or grant"},
	[F_CONTRACT_VALUE] = {"contract.value", QT_MONEY, false,
			      "face value of the contract"},
	[F_CONTRACT_SIGNED_ON] = {"contract.signed_on", QT_DATE, false,
				  "date the contract was signed"},
	[F_CONTRACT_TERM_MONTHS] = {"contract.term_months", QT_INT, false,
				    "term of the contract in months"},
	[F_CONTRACT_USES_REGISTERED_MODEL] =
		{"contract.uses_registered_model", QT_BOOL, false,
		 "serves MaaS or agents built on a registered foundation model"},
	[F_CONTRACT_OTHER_SUBSIDIES_TOTAL] =
		{"contract.other_subsidies_total", QT_MONEY, false,
		 "sum of other programs' subsidies for this contract"},
	[F_CONTRACT_OTHER_SUBSIDIES_COUNT] =
		{"contract.other_subsidies_count", QT_INT, false,
		 "number of other programs subsidising this contract"},
	[F_CONTRACT_OTHER_SUBSIDIES_NATIONAL] =
		{"contract.other_subsidies_national", QT_MONEY, false,
		 "sum of other subsidies for this contract declared as national"},
	[F_CONTRACT_OTHER_SUBSIDIES_PROVINCE] =
		{"contract.other_subsidies_province", QT_MONEY, false,
		 "sum of other subsidies for this contract declared as provincial"},
	[F_CONTRACT_OTHER_SUBSIDIES_CITY] =
		{"contract.other_subsidies_city", QT_MONEY, false,
		 "sum of other subsidies for this contract declared as city-level"},
	[F_CONTRACT_OTHER_SUBSIDIES_DISTRICT] =
		{"contract.other_subsidies_district", QT_MONEY, false,
		 "sum of other subsidies for this contract declared as district-level"},
	[F_CONTRACT_OTHER_SUBSIDIES_UNLEVELED] =
		{"contract.other_subsidies_unleveled", QT_MONEY, false,
		 "sum of other subsidies for this contract whose level is not given"},
	[F_COMPUTE_PRESENT] = {"compute.present", QT_BOOL, false,
			       "the contract has a compute section"},
	[F_COMPUTE_CHIP] = {"compute.chip", QT_STRING, false,
			    "chip catalog id, \"\" without compute"},
	[F_COMPUTE_ACCELERATORS] = {"compute.accelerators", QT_INT, false,
				    "number of accelerators"},
	[F_COMPUTE_HOURS] = {"compute.hours", QT_INT, false, "hours of use"},
	[F_COMPUTE_LOCATION] = {"compute.location", QT_STRING, false,
				"city where the compute is located"},
	[F_COMPUTE_DOMESTIC] = {"compute.domestic", QT_BOOL, false,
				"the chip is domestic, from the chip catalog"},
	[F_COMPUTE_H100_HOURS] =
		{"compute.h100_hours", QT_INT, false,
		 "accelerator hours in H100 equivalents, from the chip catalog"},
	[F_COMPUTE_PRICE_PER_H100_HOUR] =
		{"compute.price_per_h100_hour", QT_MONEY, true,
		 "contract value per H100-equivalent hour, rounded down; null without compute hours"},
	[F_COMPUTE_REF_PRICE_PER_H100_HOUR] =
		{"compute.ref_price_per_h100_hour", QT_MONEY, true,
		 "the chip catalog's reference market price per H100-equivalent hour, or null"},
	[F_RELATED_PARTY] =
		{"related_party", QT_BOOL, false,
		 "applicant and supplier share a USCC or a controller"},
	[F_RECEIVED_ON] = {"received_on", QT_DATE, false,
			   "the date the office received the application"},
};

const char *const *field_values(int id)
{
	if (id == F_APPLICANT_KIND)
		return applicant_kinds;
	if (id == F_CONTRACT_KIND)
		return contract_kinds;
	return NULL;
}

int field_lookup(const char *name, size_t len)
{
	for (int i = 0; i < F__COUNT; i++) {
		const char *n = field_table[i].name;

		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return i;
	}
	return -1;
}

void facts_keys(struct facts *f, uint64_t mask)
{
	f->skey_mask = 0;
	f->skey_long = 0;
	while (mask) {
		int id = __builtin_ctzll(mask);
		int k = facts_skey_slot(id);
		bool longer;

		mask &= mask - 1;
		assert(id < F__COUNT);
		if (k < 0)
			continue;
		f->skey[k] = facts_skey(f->s[id] ? f->s[id] : "", &longer);
		f->skey_mask |= (uint16_t)(1u << k);
		f->skey_long |= (uint16_t)((unsigned)longer << k);
	}
}
