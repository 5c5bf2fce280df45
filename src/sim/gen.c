/*
 * gen.c - synthetic applications for the Shanghai 2025 program (gen.h).
 */
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sim/gen.h"

/* splitmix64: turns (seed, i) into the independent starting state of one
 * application's stream, so that application i does not depend on the
 * applications generated before it. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* xorshift64*: the stream itself; the state is never 0. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* A number in lo..hi, both included (hi >= lo). */
static int64_t rnd_in(uint64_t *s, int64_t lo, int64_t hi)
{
	assert(hi >= lo);
	return lo + (int64_t)(rnd(s) % (uint64_t)(hi - lo + 1));
}

static uint64_t stream(uint64_t seed, uint64_t salt)
{
	uint64_t s = mix(seed ^ mix(salt));

	return s ? s : 1;
}

/* Parties of one side: the index in the organisation code keeps the USCCs
 * distinct, the tag keeps applicants apart from suppliers, and the
 * controllers differ by tag and index, so no pair is related. */
static void make_parties(char (*uscc)[USCC_LEN + 1], char (*ctrl)[19],
			 const char *prefix, int tag, uint64_t *s)
{
	static const char alpha[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

	for (int i = 0; i < GEN_PARTIES; i++) {
		char *u = uscc[i];

		memcpy(u, prefix, 8);
		u[8] = alpha[tag];
		u[9] = alpha[i / (31 * 31 * 31) % 31];
		u[10] = alpha[i / (31 * 31) % 31];
		u[11] = alpha[i / 31 % 31];
		u[12] = alpha[i % 31];
		for (int k = 13; k < 17; k++)
			u[k] = alpha[rnd(s) % 31];
		u[17] = uscc_check_char(u);
		u[18] = '\0';
		assert(u[17]);
		snprintf(ctrl[i], sizeof(ctrl[i]), "31010%u1980%08u",
			 (unsigned)tag % 10, (unsigned)i % 100000000u);
	}
}

int gen_init(struct gen *g, uint64_t seed)
{
	uint64_t s = stream(seed, 0xa5a5a5a5a5a5a5a5ull);

	memset(g, 0, sizeof(*g));
	g->seed = seed;
	g->opt.first_day = date_from_ymd(2025, 8, 1);
	g->opt.days = 151;
	snprintf(g->prefix, sizeof(g->prefix), "%s", GEN_DEFAULT_PREFIX);
	make_parties(g->app_uscc, g->app_ctrl, "91310115", 1, &s);
	make_parties(g->sup_uscc, g->sup_ctrl, "91310104", 2, &s);
	for (int k = 0; k < GEN_PARTIES; k++) {
		g->app_kind[k] = (uint8_t)uscc_kind_of(g->app_uscc[k]);
		g->sup_kind[k] = (uint8_t)uscc_kind_of(g->sup_uscc[k]);
	}
	g->day_min = date_from_ymd(DATE_MIN_YEAR + 1, 1, 1);
	g->day_max = date_from_ymd(DATE_MAX_YEAR, 1, 1);
	for (int k = 0; k <= DATE_MAX_YEAR + 1 - DATE_MIN_YEAR; k++)
		g->jan1[k] = date_from_ymd(DATE_MIN_YEAR + k, 1, 1);
	return 0;
}

int gen_set_prefix(struct gen *g, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n > GEN_PREFIX_MAX)
		return Q_ERR_INVALID;
	for (size_t k = 0; k < n; k++) {
		char c = prefix[k];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return Q_ERR_INVALID;
	}
	memcpy(g->prefix, prefix, n + 1);
	return 0;
}

static const char *const chips_used[] = {"ascend-910c", "ascend-910b",
					 "nvidia-h100", "nvidia-a800",
					 "cambricon-mlu590"};

/* Trade names: two characters, one from each list, give 64 x 64 = 4096
 * distinct names, one per party (GEN_PARTIES). */
static const char *const name_first[64] = {
	"星", "云", "启", "智", "海", "辰", "天", "光", "明", "远", "润",
	"华", "新", "泰", "博", "达", "科", "睿", "思", "恒", "安", "信",
	"和", "嘉", "鼎", "瑞", "宏", "卓", "越", "腾", "讯", "联", "数",
	"算", "图", "灵", "深", "蓝", "青", "松", "浦", "申", "沪", "江",
	"东", "南", "西", "北", "金", "银", "源", "泉", "峰", "川", "宇",
	"宙", "鸿", "鹏", "晨", "曦", "弘", "致", "知", "行"};
static const char *const name_second[64] = {
	"元", "舟", "途", "际", "维", "澜", "帆", "岳", "衡", "岚", "林",
	"石", "弦", "芯", "擎", "驰", "流", "翼", "锐", "象", "格", "朗",
	"瀚", "禾", "策", "泽", "晟", "昊", "琪", "璟", "铭", "诺", "然",
	"森", "拓", "望", "微", "犀", "熙", "序", "砚", "易", "引", "悦",
	"霁", "哲", "筑", "珩", "骁", "璞", "汇", "朔", "渊", "峻", "烁",
	"鲲", "枢", "极", "沅", "通", "航", "创", "昕", "屹"};
static const char *const applicant_line[] = {
	"智能科技有限公司",   "信息技术有限公司",    "人工智能科技有限公司",
	"数据科技有限公司",   "网络科技有限公司",    "软件技术有限公司",
	"机器人科技有限公司", "语言智能科技有限公司"};
static const char *const supplier_line[] = {
	"算力科技有限公司", "云计算有限公司",	  "数据服务有限公司",
	"智算中心有限公司", "大模型科技有限公司", "数据标注服务有限公司"};

static const char *city_name(const char *city)
{
	static const struct {
		const char *id, *name;
	} cities[] = {
		{"shanghai", "上海"}, {"hangzhou", "杭州"}, {"suzhou", "苏州"}};

	for (size_t i = 0; i < sizeof(cities) / sizeof(cities[0]); i++)
		if (!strcmp(city, cities[i].id))
			return cities[i].name;
	return "上海";
}

void gen_party_name(int k, bool supplier, const char *city, char *buf)
{
	size_t nl =
		supplier ? sizeof(supplier_line) / sizeof(supplier_line[0])
			 : sizeof(applicant_line) / sizeof(applicant_line[0]);
	const char *line = supplier ? supplier_line[(unsigned)k * 7 % nl]
				    : applicant_line[(unsigned)k * 5 % nl];

	assert(k >= 0 && k < GEN_PARTIES && buf && city);
	_Static_assert(64 * 64 >= GEN_PARTIES, "a trade name per party");
	/* The two lists step differently, so neighbours differ in both. */
	snprintf(buf, GEN_NAME_MAX, "%s%s%s%s", city_name(city),
		 name_first[k % 64], name_second[(k / 64 + k * 3) % 64], line);
}

/* The second of the range at which application i is submitted, counted
 * from first_day 00:00 local time. */
static int64_t submitted_second(const struct gen_options *o, uint64_t i,
				uint64_t *s)
{
	int64_t span = (int64_t)o->days * 86400;
	uint64_t c = o->spread_count;
	int64_t step;

	if (!c)
		return rnd_in(s, 0, o->days - 1) * 86400 + rnd_in(s, 0, 86399);
	step = span / (int64_t)c;
	/* i x span / c without overflow: i % c < c, and span < 2^32. */
	return (int64_t)((i % c) * (uint64_t)span / c) +
	       (step > 1 ? rnd_in(s, 0, step - 1) : 0);
}

/* The first draws of application i, shared by gen_application and
 * gen_received_at so that both see the same arrival: its measure (w), its
 * parties, whether it is ineligible and large, and the second of the range
 * at which it arrives. s is left after them. */
static void draw_head(const struct gen *g, uint64_t i, uint64_t *s, int *w,
		      int *ap, int *sp, int *ineligible, int *large,
		      int64_t *at)
{
	const struct gen_options *o = &g->opt;

	*w = (int)rnd_in(s, 0, 99);
	*ap = (int)rnd_in(s, 0, GEN_PARTIES - 1);
	*sp = (int)rnd_in(s, 0, GEN_PARTIES - 1);
	*ineligible = rnd_in(s, 0, 99) < o->ineligible_pct;
	/* Evenly spaced, so a short run has its share of large ones too:
	 * number i is large when (i + 1) x pct / 100 passes an integer. */
	(void)rnd(s);
	*large = (i % 100 + 1) * (uint64_t)o->large_pct / 100 >
		 (i % 100) * (uint64_t)o->large_pct / 100;
	*at = submitted_second(o, i, s);
}

/* The bounds come from gen_init (the same dates every time): this runs
 * twice per application. */
static bool options_ok(const struct gen *g)
{
	const struct gen_options *o = &g->opt;

	assert(g->day_min < g->day_max); /* gen_init made them */
	return !(o->days < 1 || o->days > 366 * 300 || o->ineligible_pct < 0 ||
		 o->ineligible_pct > 100 || o->large_pct < 0 ||
		 o->large_pct > 100 || o->first_day < g->day_min ||
		 o->first_day + o->days > g->day_max);
}

int gen_received_at(const struct gen *g, uint64_t i, int64_t *out)
{
	uint64_t s = stream(g->seed, i);
	int w, ap, sp, ineligible, large;
	int64_t at;

	if (!options_ok(g))
		return Q_ERR_INVALID;
	draw_head(g, i, &s, &w, &ap, &sp, &ineligible, &large, &at);
	/* first_day 00:00 in Shanghai is 16:00 UTC the day before. */
	*out = (int64_t)g->opt.first_day * 86400 - DATE_OFFICE_OFFSET + at;
	return 0;
}

/* Every draw of application i, shared by the text (gen_application) and
 * the parsed form (gen_fill), so that both say the same application. */
struct draws {
	int ap, sp, chip, accel, hours, term, city; /* city: gen_cities */
	int64_t value;
	qdate signd, bad_on;
	const char *measure;
	enum contract_kind kind;
	bool compute, has_bad, listed, sme, startup, uses_model;
};

static const char *const gen_cities[] = {"shanghai", "hangzhou", "suzhou"};

/* 1 January of t's year, from the table gen_init made: the same day as
 * date_from_ymd(date_year(t), 1, 1) for g->day_min <= t < g->day_max
 * (options_ok holds the days drawn there). */
static qdate year_start(const struct gen *g, qdate t)
{
	/* 365.2425 days a year on average: k is the year or the one after
	 * it, never earlier (1 January never comes later than that). */
	int64_t k = ((int64_t)t - g->jan1[0]) * 400 / 146097 + 1;

	assert(t >= g->jan1[0] &&
	       t < g->jan1[DATE_MAX_YEAR - DATE_MIN_YEAR + 1]);
	if (k > DATE_MAX_YEAR - DATE_MIN_YEAR + 1)
		k = DATE_MAX_YEAR - DATE_MIN_YEAR + 1;
	while (g->jan1[k] > t)
		k--;
	return g->jan1[k];
}

static int draw_app(const struct gen *g, uint64_t i, struct draws *d)
{
	const struct gen_options *o = &g->opt;
	uint64_t s = stream(g->seed, i);
	int w, ineligible, large, fault = -1;
	int64_t at;
	qdate sub, first_of_year;

	if (!options_ok(g))
		return Q_ERR_INVALID;
	memset(d, 0, sizeof(*d));
	d->city = 0; /* shanghai */
	d->listed = true;
	draw_head(g, i, &s, &w, &d->ap, &d->sp, &ineligible, &large, &at);
	sub = o->first_day + (qdate)(at / 86400);
	/* Signed up to 180 days before, in the same fiscal year, so the
	 * contract draws on that year's budget. */
	first_of_year = year_start(g, sub);
	d->signd = sub - (qdate)rnd_in(&s, 0, 180);
	if (d->signd < first_of_year)
		d->signd = first_of_year;

	if (w < 40) {
		d->measure = "compute-rent";
		d->kind = KIND_RENT;
		/* 1 k .. 20 k yuan (typical: 100 k .. 5 M); large: 40 M ..
		 * 100 M (12 M .. 30 M at 30 %, no per-contract cap). */
		d->value = large ? rnd_in(&s, 4000000000, 10000000000)
			   : o->typical_sizes ? rnd_in(&s, 10000000, 500000000)
					      : rnd_in(&s, 100000, 2000000);
		d->chip = (int)(rnd(&s) % 5);
		d->accel = (int)rnd_in(&s, 1, 1024);
		d->hours = (int)rnd_in(&s, 1, 8760);
		d->compute = true;
	} else if (w < 70) {
		d->measure = "model";
		d->kind = rnd(&s) & 1 ? KIND_API : KIND_PRIVATE_DEPLOYMENT;
		/* 1 k .. 10 k (typical: 50 k .. 3 M); large: 10 M .. 20 M,
		 * cut to the 5 M cap at 50 %. */
		d->value = large ? rnd_in(&s, 1000000000, 2000000000)
			   : o->typical_sizes ? rnd_in(&s, 5000000, 300000000)
					      : rnd_in(&s, 100000, 1000000);
	} else {
		d->measure = "corpus";
		d->kind = KIND_CORPUS;
		/* 1 k .. 9 k (typical: 30 k .. 2 M); large: 17 M .. 30 M,
		 * cut to the 5 M cap at 30 %. */
		d->value = large ? rnd_in(&s, 1700000000, 3000000000)
			   : o->typical_sizes ? rnd_in(&s, 3000000, 200000000)
					      : rnd_in(&s, 100000, 900000);
	}
	if (ineligible) {
		fault = (int)(rnd(&s) % 3);
		if (fault == 0) {
			d->city = 1; /* hangzhou */
		} else if (fault == 1) {
			/* A record within the 3 years before signing. */
			d->has_bad = true;
			d->bad_on = d->signd - (qdate)rnd_in(&s, 1, 700);
		} else if (w < 40) {
			/* A rent that names no compute: 489号 makes the
			 * platform no condition, so an unlisted supplier is
			 * eligible now (issue 11). */
			d->listed = false;
			d->compute = false;
		} else {
			d->city = 2; /* suzhou */
		}
	}
	/* Drawn one by one: the order in which a call's arguments are
	 * evaluated is unspecified, and the text must not depend on the
	 * compiler. */
	d->sme = rnd(&s) & 1;
	d->startup = rnd(&s) % 3 == 0;
	d->term = (int)rnd_in(&s, 1, 36);
	d->uses_model = rnd(&s) % 4 == 0;
	return 0;
}

int gen_application(const struct gen *g, uint64_t i, char *buf, size_t n,
		    size_t *len)
{
	struct draws d;
	int gy, gm, gd, by, bm, bd, r;
	char compute[160] = "null", bad_credit[16] = "null";
	char app_name[GEN_NAME_MAX], sup_name[GEN_NAME_MAX];

	if (draw_app(g, i, &d))
		return Q_ERR_INVALID;
	date_to_ymd(d.signd, &gy, &gm, &gd);
	if (d.compute)
		snprintf(
			compute, sizeof(compute),
			"{\"chip\": \"%s\", \"accelerators\": %d, \"hours\": %d, \"location\": \"shanghai\"}",
			chips_used[d.chip], d.accel, d.hours);
	if (d.has_bad) {
		date_to_ymd(d.bad_on, &by, &bm, &bd);
		snprintf(bad_credit, sizeof(bad_credit), "\"%04d-%02d-%02d\"",
			 by, bm, bd);
	}
	gen_party_name(d.ap, false, gen_cities[d.city], app_name);
	gen_party_name(d.sp, true, "shanghai", sup_name);
	r = snprintf(
		buf, n,
		"{\"client_ref\": \"%s%07llu\", \"program\": \"shanghai-2025\", \"measure\": \"%s\","
		" \"applicant\": {\"uscc\": \"%s\", \"name\": \"%s\","
		" \"registered_city\": \"%s\", \"industry\": \"I65\", \"sme\": %s,"
		" \"startup\": %s, \"registered_model\": false, \"last_bad_credit_on\": %s,"
		" \"controllers\": [\"%s\"]},"
		" \"supplier\": {\"uscc\": \"%s\", \"name\": \"%s\","
		" \"platform_listed\": %s, \"controllers\": [\"%s\"]},"
		" \"contract\": {\"number\": \"HT-%s%07llu\", \"kind\": \"%s\","
		" \"value\": \"%lld.%02lld\", \"signed_on\": \"%04d-%02d-%02d\","
		" \"term_months\": %d, \"uses_registered_model\": %s,"
		" \"other_subsidies\": [], \"compute\": %s}}",
		g->prefix, (unsigned long long)i, d.measure, g->app_uscc[d.ap],
		app_name, gen_cities[d.city], d.sme ? "true" : "false",
		d.startup ? "true" : "false", bad_credit, g->app_ctrl[d.ap],
		g->sup_uscc[d.sp], sup_name, d.listed ? "true" : "false",
		g->sup_ctrl[d.sp], g->prefix, (unsigned long long)i,
		kind_name(d.kind), (long long)(d.value / 100),
		(long long)(d.value % 100), gy, gm, gd, d.term,
		d.uses_model ? "true" : "false", compute);
	if (r < 0 || (size_t)r >= n)
		return Q_ERR_TOO_LARGE;
	*len = (size_t)r;
	return 0;
}

/* head, prefix and i as "%s%s%07llu" into out (GEN_REF_MAX bytes),
 * without printf: this runs once per application. Returns the length. */
static size_t put_ref(char *out, const char *head, size_t nhead,
		      const char *prefix, size_t nprefix, uint64_t i)
{
	size_t nd = 7, at;

	assert(nhead + nprefix + 21 <= GEN_REF_MAX);
	for (uint64_t v = i / 10000000; v; v /= 10)
		nd++;
	memcpy(out, head, nhead);
	memcpy(out + nhead, prefix, nprefix);
	at = nhead + nprefix + nd;
	out[at] = '\0';
	/* The digits from the last, straight into place (no buffer to copy
	 * from, whose bytes were just written one at a time). */
	for (size_t k = 0; k < nd; k++) {
		out[--at] = (char)('0' + i % 10);
		i /= 10;
	}
	return nhead + nprefix + nd;
}

int gen_names_init(const struct gen *g, struct gen_names *nm)
{
	(void)g;
	for (int c = 0; c < 3; c++)
		for (int k = 0; k < GEN_PARTIES; k++)
			gen_party_name(k, false, gen_cities[c],
				       nm->applicant[c][k]);
	for (int k = 0; k < GEN_PARTIES; k++)
		gen_party_name(k, true, "shanghai", nm->supplier[k]);
	return 0;
}

int gen_fill(const struct gen *g, const struct gen_names *nm, uint64_t i,
	     struct gen_app *out)
{
	struct draws d;
	struct application *a = &out->a;
	size_t nprefix, nref;
	int city;

	assert(g && nm && out);
	if (draw_app(g, i, &d))
		return Q_ERR_INVALID;
	city = d.city;
	memset(a, 0, sizeof(*a));
	nprefix = strnlen(g->prefix, GEN_PREFIX_MAX);
	nref = put_ref(out->number, "HT-", 3, g->prefix, nprefix, i);
	/* The client_ref is the number without its "HT-". */
	memcpy(out->ref, out->number + 3, nref - 3 + 1);
	out->app_ctrl = g->app_ctrl[d.ap];
	out->sup_ctrl = g->sup_ctrl[d.sp];
	a->client_ref = out->ref;
	a->program = "shanghai-2025";
	a->measure = d.measure;
	a->applicant.uscc = g->app_uscc[d.ap];
	a->applicant.name = nm->applicant[city][d.ap];
	a->applicant.kind = (enum uscc_kind)g->app_kind[d.ap];
	a->applicant.registered_city = gen_cities[d.city];
	a->applicant.industry = "I65";
	a->applicant.sme = d.sme;
	a->applicant.startup = d.startup;
	a->applicant.has_bad_credit = d.has_bad;
	a->applicant.last_bad_credit_on = d.has_bad ? d.bad_on : 0;
	a->applicant.controllers = &out->app_ctrl;
	a->applicant.ncontrollers = 1;
	a->supplier.uscc = g->sup_uscc[d.sp];
	a->supplier.name = nm->supplier[d.sp];
	a->supplier.kind = (enum uscc_kind)g->sup_kind[d.sp];
	a->supplier.registered_city = "";
	a->supplier.industry = "";
	a->supplier.platform_listed = d.listed;
	a->supplier.controllers = &out->sup_ctrl;
	a->supplier.ncontrollers = 1;
	a->contract.number = out->number;
	a->contract.kind = d.kind;
	a->contract.value = d.value;
	a->contract.signed_on = d.signd;
	a->contract.term_months = d.term;
	a->contract.uses_registered_model = d.uses_model;
	if (d.compute) {
		a->contract.has_compute = true;
		a->contract.compute.chip = chips_used[d.chip];
		a->contract.compute.accelerators = d.accel;
		a->contract.compute.hours = d.hours;
		a->contract.compute.location = "shanghai";
	}
	return 0;
}
