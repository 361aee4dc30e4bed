/*
 * Library-free numeric kernels in double, compiled for the x87
 * (gcc -m32 -march=i686 -mfpmath=387 -mno-sse -fexcess-precision=standard):
 * Newton's square root, series for exp, sin, cos and atan (pi by Machin),
 * a dot product, Horner's rule, a harmonic sum, conversions between
 * integers and doubles (truncation, the x87's integer indefinite),
 * comparisons (fucomi, NaNs), float accumulation, 1/3 under the four
 * rounding modes and the three precisions, long double, and the x87's own
 * transcendental instructions.
 *
 * Each result is printed as its bits and in decimal on port 0xE9; the
 * checksum of the bits ends in %eax. A test builds the same file as a
 * native Linux program and checks that the host prints the same text.
 */
#include "linux26.h"

static unsigned long checksum;

static unsigned long long bits_of(double x)
{
    union { double d; unsigned long long u; } v = { x };
    return v.u;
}

static void fold(unsigned long long value)
{
    checksum = (checksum << 5 | checksum >> 27) ^ (unsigned long)value ^ (unsigned long)(value >> 32);
}

static void print_hex64(unsigned long long value)
{
    console_hex((unsigned long)(value >> 32));
    console_hex((unsigned long)value);
}

static void print_unsigned(unsigned long long value)
{
    char digits[24];
    int count = 0;
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    while (count) console_putc(digits[--count]);
}

/* 12 significant digits in scientific notation, computed in double. */
static void print_decimal(double x)
{
    if (x != x) { console_puts("nan"); return; }
    if (x < 0 || (x == 0 && (bits_of(x) >> 63))) { console_putc('-'); x = -x; }
    if (x > 1.7976931348623157e308) { console_puts("inf"); return; }
    if (x == 0) { console_puts("0"); return; }
    int exponent = 0;
    while (x >= 10) { x /= 10; exponent++; }
    while (x < 1) { x *= 10; exponent--; }
    long long scaled = (long long)(x * 1e11 + 0.5);
    if (scaled >= 1000000000000LL) { scaled /= 10; exponent++; }
    char digits[12];
    for (int i = 11; i >= 0; i--) { digits[i] = (char)('0' + scaled % 10); scaled /= 10; }
    console_putc(digits[0]);
    console_putc('.');
    for (int i = 1; i < 12; i++) console_putc(digits[i]);
    console_putc('e');
    if (exponent < 0) { console_putc('-'); exponent = -exponent; }
    print_unsigned((unsigned long long)exponent);
}

static void report(const char *name, double x)
{
    fold(bits_of(x));
    console_puts(name);
    console_puts(" = ");
    print_hex64(bits_of(x));
    console_putc(' ');
    print_decimal(x);
    console_putc('\n');
}

static void report_integer(const char *name, long long value)
{
    fold((unsigned long long)value);
    console_puts(name);
    console_puts(" = ");
    print_hex64((unsigned long long)value);
    console_putc('\n');
}

static void report_extended(const char *name, long double x)
{
    union { long double ld; struct { unsigned long long significand; unsigned short sign_exponent; } parts; } v;
    v.parts.significand = 0;
    v.parts.sign_exponent = 0;
    v.ld = x;
    fold(v.parts.significand);
    fold(v.parts.sign_exponent);
    console_puts(name);
    console_puts(" = ");
    console_hex(v.parts.sign_exponent);
    console_putc(':');
    print_hex64(v.parts.significand);
    console_putc('\n');
}

/* Newton's iteration for the square root. */
static double newton_sqrt(double a)
{
    double x = a > 1 ? a : 1;
    for (int i = 0; i < 60; i++) {
        double next = 0.5 * (x + a / x);
        if (next == x) break;
        x = next;
    }
    return x;
}

/* exp by its Taylor series, with the argument halved until small and the result squared back. */
static double exp_series(double x)
{
    int halvings = 0;
    while (x > 0.5 || x < -0.5) { x *= 0.5; halvings++; }
    double term = 1, sum = 1;
    for (int n = 1; n < 30; n++) {
        term *= x / n;
        sum += term;
    }
    while (halvings--) sum *= sum;
    return sum;
}

static const double two_pi = 6.283185307179586476925286766559;

/* sin and cos by their series after reducing the argument into [-pi, pi]. */
static double reduce(double x)
{
    long long turns = (long long)(x / two_pi);
    x -= (double)turns * two_pi;
    if (x > two_pi / 2) x -= two_pi;
    if (x < -two_pi / 2) x += two_pi;
    return x;
}

static double sin_series(double x)
{
    x = reduce(x);
    double term = x, sum = x;
    for (int n = 1; n < 25; n++) {
        term *= -x * x / ((2 * n) * (2 * n + 1));
        sum += term;
    }
    return sum;
}

static double cos_series(double x)
{
    x = reduce(x);
    double term = 1, sum = 1;
    for (int n = 1; n < 25; n++) {
        term *= -x * x / ((2 * n - 1) * (2 * n));
        sum += term;
    }
    return sum;
}

/* arctan(1/k) by its series, for Machin's pi = 16 atan(1/5) - 4 atan(1/239). */
static double atan_inverse(int k)
{
    double x = 1.0 / k, x2 = x * x, term = x, sum = x;
    for (int n = 1; n < 40; n++) {
        term *= -x2;
        sum += term / (2 * n + 1);
    }
    return sum;
}

static double a_values[200], b_values[200];

static double dot(const double *a, const double *b, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
}

/* Horner's rule for 1 - 3x + x^2/2 + 2.25x^3 - x^4/7 + 1e-3 x^5. */
static double horner(double x)
{
    static const double c[] = { 1e-3, -1.0 / 7, 2.25, 0.5, -3, 1 };
    double y = 0;
    for (unsigned int i = 0; i < sizeof c / sizeof c[0]; i++) y = y * x + c[i];
    return y;
}

static unsigned short control_word(void)
{
    unsigned short control;
    __asm__ volatile("fnstcw %0" : "=m" (control));
    return control;
}

static void set_control_word(unsigned short control)
{
    __asm__ volatile("fldcw %0" : : "m" (control));
}

/* 1/3 as the x87 computes it under a control word, all 64 bits kept. */
static long double third_under(unsigned short control)
{
    unsigned short saved = control_word();
    long double one = 1, three = 3, result;
    set_control_word(control);
    __asm__ volatile("fdiv %%st(1), %%st" : "=t" (result) : "0" (one), "u" (three));
    set_control_word(saved);
    return result;
}

static long double x87_unary(int which, long double x)
{
    long double y = x;
    switch (which) {
    case 0: __asm__ volatile("fsin" : "+t" (y)); break;
    case 1: __asm__ volatile("fcos" : "+t" (y)); break;
    case 2: __asm__ volatile("f2xm1" : "+t" (y)); break;
    case 3: __asm__ volatile("frndint" : "+t" (y)); break;
    default: __asm__ volatile("fsqrt" : "+t" (y)); break;
    }
    return y;
}

static long double x87_fpatan(long double y, long double x)
{
    long double result;
    __asm__ volatile("fpatan" : "=t" (result) : "0" (x), "u" (y) : "st(1)");
    return result;
}

static long double x87_fyl2x(long double y, long double x)
{
    long double result;
    __asm__ volatile("fyl2x" : "=t" (result) : "0" (x), "u" (y) : "st(1)");
    return result;
}

static long double x87_fprem(long double x, long double modulus)
{
    long double result;
    __asm__ volatile("1: fprem\n\t"
                     "fnstsw %%ax\n\t"
                     "testb $4, %%ah\n\t"
                     "jnz 1b" : "=t" (result) : "0" (x), "u" (modulus) : "eax", "cc");
    return result;
}

unsigned long fpu_main(void)
{
    report("sqrt(2)", newton_sqrt(2));
    report("sqrt(1e10)", newton_sqrt(1e10));
    report("sqrt(0.001)", newton_sqrt(0.001));

    report("exp(1)", exp_series(1));
    report("exp(-2.5)", exp_series(-2.5));
    report("exp(10)", exp_series(10));

    report("sin(1)", sin_series(1));
    report("cos(1)", cos_series(1));
    report("sin(100)", sin_series(100));

    report("pi (Machin)", 16 * atan_inverse(5) - 4 * atan_inverse(239));

    for (int i = 0; i < 200; i++) {
        a_values[i] = (i * 7 % 13) / 3.0;
        b_values[i] = 1.0 / (i + 1);
    }
    report("dot", dot(a_values, b_values, 200));

    report("horner(0.1)", horner(0.1));
    report("horner(1.5)", horner(1.5));
    report("horner(-2)", horner(-2));

    double harmonic = 0;
    for (int k = 1; k <= 1000; k++) harmonic += 1.0 / k;
    report("H(1000)", harmonic);

    /* Conversions: truncation (fistp under RC = toward zero), out of range, and back. */
    volatile double values[] = { -2.7, 2.5, 2.5e9, 1e18 + 12345, -0.0, 123456789.987 };
    report_integer("(int)-2.7", (int)values[0]);
    report_integer("(int)2.5", (int)values[1]);
    report_integer("(int)2.5e9", (int)values[2]);           /* the x87's integer indefinite */
    report_integer("(long long)(1e18+12345)", (long long)values[3]);
    report_integer("(unsigned)2.5e9", (unsigned int)values[2]);
    report("(double)INT64_MAX", (double)0x7fffffffffffffffLL);
    report("(double)-123456789", (double)(volatile int){ -123456789 });
    report("round trip", (double)(long long)values[5]);

    /* Comparisons, NaNs included. */
    volatile double zero = 0;
    double nan = zero / zero;
    int less = 0;
    double smallest = a_values[0], largest = a_values[0];
    for (int i = 0; i < 200; i++) {
        if (a_values[i] < b_values[i] * 8) less++;
        if (a_values[i] < smallest) smallest = a_values[i];
        if (a_values[i] > largest) largest = a_values[i];
    }
    report_integer("count(a < 8b)", less);
    report("min", smallest);
    report("max", largest);
    report_integer("nan == nan", nan == nan);
    report_integer("nan != nan", nan != nan);
    report_integer("nan < 1", nan < 1);
    report_integer("-0.0 == 0.0", values[4] == 0.0);
    report("1/-0.0", 1 / values[4]);
    report("nan", nan);

    /* Single precision: 0.1f added 1000 times. */
    float f = 0;
    for (int i = 0; i < 1000; i++) f += 0.1f;
    report("sum of 1000 x 0.1f", f);

    /* 1/3 under every rounding mode (64-bit precision), then every precision (to nearest). */
    report_extended("1/3 RN", third_under(0x037f));
    report_extended("1/3 RD", third_under(0x077f));
    report_extended("1/3 RU", third_under(0x0b7f));
    report_extended("1/3 RZ", third_under(0x0f7f));
    report_extended("1/3 PC24", third_under(0x007f));
    report_extended("1/3 PC53", third_under(0x027f));

    /* long double: e by its series. */
    long double e = 1, term = 1;
    for (int n = 1; n < 25; n++) { term /= n; e += term; }
    report_extended("e (long double)", e);

    /* The x87's own transcendental instructions. */
    report_extended("fsin(1)", x87_unary(0, 1));
    report_extended("fcos(1)", x87_unary(1, 1));
    report_extended("f2xm1(0.5)", x87_unary(2, 0.5L));
    report_extended("frndint(2.5)", x87_unary(3, 2.5L));
    report_extended("fsqrt(2)", x87_unary(4, 2));
    report_extended("fpatan(1, 1)", x87_fpatan(1, 1));
    report_extended("fyl2x(1, 10)", x87_fyl2x(1, 10));
    report_extended("fprem(1e10, pi)", x87_fprem(1e10L, 3.14159265358979323846L));

    console_puts("fpu_double checksum ");
    console_hex(checksum);
    console_putc('\n');
    return checksum;
}
