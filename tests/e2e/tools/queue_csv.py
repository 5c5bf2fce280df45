#!/usr/bin/env python3
"""Applications for the queue's tests and benchmark: `quan apply --csv` rows
of Shanghai 2025 compute rent, each from its own firm (a valid USCC), with
names of two to twelve Chinese characters, amounts and arrival times that
vary. Usage: queue_csv.py COUNT [SEED] > apps.csv. The first rows are
fixed, so tests can name them: 华为 (two characters), 上海甲乙科技有限公司,
and firms whose USCCs begin 91310115Q."""
import random
import sys

CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_W = [3, 7, 9, 10, 5, 8, 4, 2]
ORG_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
WORDS = "华为申通智算云图数联天启星河灵犀墨子青松海川远景博睿恒信鼎盛金桥"


def org_check(body):
    s = sum(ORG_CHARS.index(c) * w for c, w in zip(body, ORG_W))
    c = 11 - s % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def uscc(body17):
    s = sum(CHARS.index(c) * w for c, w in zip(body17, WEIGHTS))
    return body17 + CHARS[(31 - s % 31) % 31]


def firm(i, area):
    # "91", the area (6 digits), the organisation code (8 + its check), the
    # check digit
    org = "M%07d" % i
    return uscc("91" + area + org + org_check(org))


def main():
    n = int(sys.argv[1])
    rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    print("client_ref,program,measure,received_at,applicant_uscc,applicant_name,"
          "registered_city,industry,sme,startup,registered_model,last_bad_credit_on,"
          "applicant_controllers,supplier_uscc,supplier_name,platform_listed,"
          "supplier_controllers,contract_number,kind,value,signed_on,term_months,"
          "uses_registered_model,chip,accelerators,hours,location")
    fixed = ["华为", "上海甲乙科技有限公司", "上海青松云图有限公司"]
    for i in range(n):
        name = fixed[i] if i < len(fixed) else "".join(
            rnd.choice(WORDS) for _ in range(rnd.randint(2, 6))) + "有限公司"
        value = "%d.%02d" % (rnd.randint(10000, 2000000), rnd.randint(0, 99))
        day = 1 + (i * 37) % 60
        month, day = (10, day) if day <= 31 else (11, day - 31)
        at = "2025-%02d-%02dT%02d:%02d:%02d+08:00" % (
            month, day, 9 + i % 8, i % 60, (i // 60) % 60)
        head = "310104" if i % 5 else "310115"
        print("q%d,shanghai-2025,compute-rent,%s,%s,%s,shanghai,I65,true,false,"
              "false,,310101198001010018,91310104MA1FR5T2K1,乙,true,"
              "310104197505050026,HT-Q%d,rent,%s,2025-08-15,12,false,"
              "ascend-910c,8,100,shanghai" % (i, at, firm(i + 1, head), name, i,
                                               value))


main()
