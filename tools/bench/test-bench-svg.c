/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pins the bench's SVG writer: axis steps at round numbers, text escaped
 * so a caption cannot break the file, and a well-formed document. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bench-svg.h"

static void assert_step(double got, double want) {
        assert_true(got > want * 0.999999 && got < want * 1.000001);
}

static void test_nice_step(void **state) {
        assert_step(svg_nice_step(60, 6), 10);
        assert_step(svg_nice_step(7, 5), 2);
        assert_step(svg_nice_step(0.9, 6), 0.2);
        assert_step(svg_nice_step(10000, 6), 2000);
        assert_step(svg_nice_step(24, 6), 5);
        /* Nothing to show: a step of 1, never 0 (a loop on it would spin). */
        assert_step(svg_nice_step(0, 6), 1);
        assert_step(svg_nice_step(-3, 6), 1);
        assert_step(svg_nice_step(5, 0), 1);
}

static char *slurp(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf = calloc(1, 65536);
        size_t n;

        assert_non_null(f);
        assert_non_null(buf);
        n = fread(buf, 1, 65535, f);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

static void test_document(void **state) {
        char path[] = "/tmp/test-bench-svg.XXXXXX";
        double xs[] = { 1, 2.25, 3 }, ys[] = { 4, 5, 6.5 };
        int fd = mkstemp(path);
        char *text;
        Svg svg;

        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(svg_open(&svg, path, 300, 200), 0);
        svg_text(&svg, 10, 20, "middle", 12, "p50 <%s> & \"%d\"", "x", 5);
        svg_line(&svg, 0, 0, 10, 10, "black", 1);
        svg_polyline(&svg, xs, ys, 3, "red", 2);
        assert_int_equal(svg_close(&svg), 0);
        text = slurp(path);
        unlink(path);
        assert_non_null(strstr(text, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"300\" height=\"200\""));
        assert_non_null(strstr(text, ">p50 &lt;x&gt; &amp; &quot;5&quot;</text>"));
        assert_null(strstr(text, "<x>"));
        assert_non_null(strstr(text, "points=\"1.0,4.0 2.2,5.0 3.0,6.5\""));
        assert_non_null(strstr(text, "</svg>\n"));
        free(text);
        /* A directory that is not there: an error, no crash. */
        assert_true(svg_open(&svg, "/nonexistent-dir/x.svg", 10, 10) < 0);
        assert_int_equal(svg_close(&svg), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nice_step),
                cmocka_unit_test(test_document),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
