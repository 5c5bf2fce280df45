#include "core/industry.h"

#include <assert.h>
#include <string.h>

/* The divisions of each section, GB/T 4754-2017. */
static const struct {
	char section;
	int lo, hi;
} sections[] = {
	{'A', 1, 5},   {'B', 6, 12},  {'C', 13, 43}, {'D', 44, 46},
	{'E', 47, 50}, {'F', 51, 52}, {'G', 53, 60}, {'H', 61, 62},
	{'I', 63, 65}, {'J', 66, 69}, {'K', 70, 70}, {'L', 71, 72},
	{'M', 73, 75}, {'N', 76, 79}, {'O', 80, 82}, {'P', 83, 83},
	{'Q', 84, 85}, {'R', 86, 90}, {'S', 91, 96}, {'T', 97, 97},
};

int industry_check(const char *s, size_t len, const char *field, struct qerr *e)
{
	int q = len > 16 ? 16 : (int)len;
	size_t sec = sizeof(sections) / sizeof(sections[0]);
	int div;

	assert(s && field);
	if (len == 0 || len == 2 || len > INDUSTRY_MAX_LEN)
		return qerr_set(
			e, Q_ERR_INVALID, field,
			"%s: '%.*s' is not an industry code: a section letter A-T, then a 2-digit division, 3-digit group or 4-digit class (GB/T 4754-2017), as in \"I65\" or \"C\"",
			field, q, s);
	for (size_t i = 0; i < sec; i++)
		if (sections[i].section == s[0])
			sec = i;
	if (sec == sizeof(sections) / sizeof(sections[0]))
		return qerr_set(
			e, Q_ERR_INVALID, field,
			"%s: '%.*s' does not start with a section letter A-T (GB/T 4754-2017)",
			field, q, s);
	for (size_t i = 1; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return qerr_set(
				e, Q_ERR_INVALID, field,
				"%s: '%.*s': after the section letter come digits only",
				field, q, s);
	if (len == 1)
		return Q_OK;
	div = (s[1] - '0') * 10 + (s[2] - '0');
	if (div < sections[sec].lo || div > sections[sec].hi)
		return qerr_set(
			e, Q_ERR_INVALID, field,
			"%s: '%.*s': division %02d is not in section %c, which holds %02d-%02d",
			field, q, s, div, s[0], sections[sec].lo,
			sections[sec].hi);
	return Q_OK;
}

bool industry_within(const char *code, const char *within)
{
	size_t n = strlen(within);

	assert(code && within);
	assert(n <= INDUSTRY_MAX_LEN);
	return strncmp(code, within, n) == 0;
}

/* GB/T 4754-2017 (国民经济行业分类): the sections and a few divisions. */
static const struct industry_name names[] = {
	{"A", "农、林、牧、渔业",
	 "Agriculture, forestry, animal husbandry and fishery"},
	{"B", "采矿业", "Mining"},
	{"C", "制造业", "Manufacturing"},
	{"C39", "计算机、通信和其他电子设备制造业",
	 "Manufacture of computers, communication and other electronic equipment"},
	{"D", "电力、热力、燃气及水生产和供应业",
	 "Production and supply of electricity, heat, gas and water"},
	{"E", "建筑业", "Construction"},
	{"F", "批发和零售业", "Wholesale and retail trades"},
	{"G", "交通运输、仓储和邮政业", "Transport, storage and post"},
	{"H", "住宿和餐饮业", "Accommodation and catering"},
	{"I", "信息传输、软件和信息技术服务业",
	 "Information transmission, software and information technology services"},
	{"I63", "电信、广播电视和卫星传输服务",
	 "Telecommunications, broadcasting and satellite transmission services"},
	{"I64", "互联网和相关服务", "Internet and related services"},
	{"I65", "软件和信息技术服务业",
	 "Software and information technology services"},
	{"J", "金融业", "Finance"},
	{"K", "房地产业", "Real estate"},
	{"L", "租赁和商务服务业", "Leasing and business services"},
	{"M", "科学研究和技术服务业",
	 "Scientific research and technical services"},
	{"M73", "研究和试验发展", "Research and experimental development"},
	{"M74", "专业技术服务业", "Professional technical services"},
	{"M75", "科技推广和应用服务业",
	 "Technology promotion and application services"},
	{"N", "水利、环境和公共设施管理业",
	 "Water conservancy, environment and public facilities management"},
	{"O", "居民服务、修理和其他服务业",
	 "Resident services, repair and other services"},
	{"P", "教育", "Education"},
	{"Q", "卫生和社会工作", "Health and social work"},
	{"R", "文化、体育和娱乐业", "Culture, sports and entertainment"},
	{"S", "公共管理、社会保障和社会组织",
	 "Public administration, social security and social organisations"},
	{"T", "国际组织", "International organisations"},
};

size_t industry_names(const struct industry_name **out)
{
	assert(out);
	*out = names;
	return sizeof(names) / sizeof(names[0]);
}
