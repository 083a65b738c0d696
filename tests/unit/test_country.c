/* Unit tests for country: loading iso-codes, lookups, suggestions, names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "country.h"

static struct country_db *db;

static int
setup(void **state)
{
	char err[256];

	if (country_db_load(NULL, NULL, &db, err, sizeof(err)) == -1) {
		fprintf(stderr, "country_db_load: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	country_db_free(db);
	db = NULL;
	return 0;
}

static void
expect_code(const char *text, const char *code)
{
	const char *got = country_lookup(db, text);

	if (code == NULL) {
		if (got != NULL)
			fail_msg("\"%s\" -> %s, expected nothing", text, got);
		return;
	}
	if (got == NULL || strcmp(got, code) != 0)
		fail_msg("\"%s\" -> %s, expected %s", text, got ? got : "NULL",
		    code);
}

static void
test_count(void **state)
{
	assert_int_equal(country_db_count(db), 249);
}

static void
test_codes(void **state)
{
	expect_code("NL", "NL");
	expect_code("nl", "NL");
	expect_code("de", "DE");
	expect_code("DEU", "DE");
	expect_code("nld", "NL");
	expect_code("gbr", "GB");
	expect_code("XX", NULL);
	expect_code("", NULL);
	expect_code("   ", NULL);
}

static void
test_english_names(void **state)
{
	expect_code("Germany", "DE");
	expect_code("germany", "DE");
	expect_code("GERMANY", "DE");
	expect_code("  Germany  ", "DE");
	expect_code("Federal Republic of Germany", "DE");
	expect_code("Netherlands", "NL");
	expect_code("Kingdom of the Netherlands", "NL");
	expect_code("United States", "US");
	expect_code("United States of America", "US");
	expect_code("United Kingdom", "GB");
	expect_code("Russian Federation", "RU");
	expect_code("South Korea", "KR");
	expect_code("Korea, Republic of", "KR");
	expect_code("North Korea", "KP");
	expect_code("Czechia", "CZ");
	expect_code("Czech Republic", "CZ");
	expect_code("Viet Nam", "VN");
	expect_code("Vietnam", "VN");
	expect_code("Bolivia", "BO");
	expect_code("Côte d'Ivoire", "CI");
	expect_code("Cote dIvoire", "CI");
	expect_code("Cote d’Ivoire", "CI");
	expect_code("Åland Islands", "AX");
	expect_code("aland islands", "AX");
	expect_code("Türkiye", "TR");
}

static void
test_dutch_names(void **state)
{
	expect_code("Duitsland", "DE");
	expect_code("duitsland", "DE");
	expect_code("Nederland", "NL");
	expect_code("België", "BE");
	expect_code("belgie", "BE");
	expect_code("BELGIË", "BE");
	expect_code("Verenigd Koninkrijk", "GB");
	expect_code("Verenigde Staten", "US");
	expect_code("Rusland", "RU");
	expect_code("Zuid-Korea", "KR");
	expect_code("zuid korea", "KR");
	expect_code("Tsjechië", "CZ");
	expect_code("Frankrijk", "FR");
	expect_code("Koninkrijk België", "BE");
	expect_code("Turkije", "TR");
	expect_code("Ivoorkust", "CI");
}

static void
test_aliases(void **state)
{
	expect_code("UK", "GB");
	expect_code("U.K.", "GB");
	expect_code("Great Britain", "GB");
	expect_code("England", "GB");
	expect_code("Scotland", "GB");
	expect_code("Groot-Brittannië", "GB");
	expect_code("USA", "US");
	expect_code("U.S.A.", "US");
	expect_code("Russia", "RU");
	expect_code("Turkey", "TR");
	expect_code("Holland", "NL");
	expect_code("The Netherlands", "NL");
	expect_code("Korea", NULL);
	expect_code("Atlantis", NULL);
	expect_code("Duitsand", NULL);
}

static void
test_suggest(void **state)
{
	const char *code = NULL, *name;

	name = country_suggest(db, "Duitsand", LANG_NL, &code);
	assert_non_null(name);
	assert_string_equal(name, "Duitsland");
	assert_string_equal(code, "DE");
	name = country_suggest(db, "Duitsand", LANG_EN, &code);
	assert_string_equal(name, "Germany");
	assert_string_equal(code, "DE");
	name = country_suggest(db, "Germny", LANG_EN, &code);
	assert_string_equal(name, "Germany");
	name = country_suggest(db, "Belgium!", LANG_NL, &code);
	assert_string_equal(name, "België");
	name = country_suggest(db, "Nederlnd", LANG_EN, &code);
	assert_string_equal(name, "Netherlands");
	assert_string_equal(code, "NL");
	name = country_suggest(db, "Verenigd Koninkrjik", LANG_NL, &code);
	assert_string_equal(name, "Verenigd Koninkrijk");
	/* Too far, too short or nonsense: nothing. */
	assert_null(country_suggest(db, "Qwertyuiop", LANG_EN, &code));
	assert_null(code);
	assert_null(country_suggest(db, "Dx", LANG_EN, &code));
	assert_null(country_suggest(db, "", LANG_EN, NULL));
	assert_null(country_suggest(db, NULL, LANG_EN, NULL));
}

static void
test_names(void **state)
{
	assert_string_equal(country_name(db, "DE", LANG_NL), "Duitsland");
	assert_string_equal(country_name(db, "DE", LANG_EN), "Germany");
	assert_string_equal(country_name(db, "be", LANG_NL), "België");
	assert_string_equal(country_name(db, "GB", LANG_NL), "Verenigd Koninkrijk");
	assert_string_equal(country_name(db, "KR", LANG_EN), "South Korea");
	assert_string_equal(country_name(db, "KR", LANG_NL), "Zuid-Korea");
	assert_string_equal(country_name(db, "VN", LANG_EN), "Vietnam");
	assert_null(country_name(db, "XX", LANG_EN));
	assert_null(country_name(db, "DEU", LANG_EN));
	assert_null(country_name(db, NULL, LANG_EN));
	assert_null(country_name(NULL, "DE", LANG_EN));
}

/* Every country's display names map back to its own code. */
static void
test_roundtrip(void **state)
{
	static const char *const some[] = { "NL", "DE", "BE", "GB", "US", "FR",
	    "KR", "KP", "CD", "CG", "BO", "VN", "CI", "TW", "SX", "MF" };

	for (size_t i = 0; i < sizeof(some) / sizeof(some[0]); i++) {
		expect_code(country_name(db, some[i], LANG_EN), some[i]);
		expect_code(country_name(db, some[i], LANG_NL), some[i]);
	}
}

static void
test_load_errors(void **state)
{
	static const unsigned char bad[32] = { 0xde, 0x12, 0x04, 0x95,
	    0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f };
	struct country_db *d = NULL;
	char err[256] = "", dir[] = "/tmp/hp-country-XXXXXX", path[300];
	int fd;

	assert_int_equal(country_db_load("/nonexistent.json", NULL, &d, err,
	    sizeof(err)), -1);
	assert_null(d);
	assert_non_null(strstr(err, "nonexistent"));
	assert_int_equal(country_db_load(NULL, "/nonexistent", &d, err,
	    sizeof(err)), -1);
	assert_null(d);
	assert_non_null(strstr(err, "iso_3166-1.mo"));

	/* A corrupt catalogue (count far beyond the file) is refused, not
	 * read out of bounds. */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/nl", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/nl/LC_MESSAGES", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/nl/LC_MESSAGES/iso_3166-1.mo", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bad, sizeof(bad)), (int)sizeof(bad));
	close(fd);
	assert_int_equal(country_db_load(NULL, dir, &d, err, sizeof(err)), -1);
	assert_null(d);
	assert_non_null(strstr(err, "corrupt"));
	unlink(path);
	snprintf(path, sizeof(path), "%s/nl/LC_MESSAGES", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/nl", dir);
	rmdir(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_english_names),
		cmocka_unit_test(test_dutch_names),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_load_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
