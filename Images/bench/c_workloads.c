/*
 * Benchmark 2: freestanding C (gcc -m32 -O2 -ffreestanding -fno-pic):
 * CRC32 over 64 KB, an insertion sort of 2,000 ints, a linked-list walk.
 * The checksum ends in %eax and on the console.
 */
#include "linux26.h"

static unsigned int crc_table[256];
static unsigned char buffer[65536];
static int values[2000];
struct node { struct node *next; unsigned int value; };
static struct node nodes[4096];

static unsigned int next_random(unsigned int *state)
{
    *state = *state * 1103515245u + 12345u;
    return *state >> 8;
}

static void make_crc_table(void)
{
    for (unsigned int n = 0; n < 256; n++) {
        unsigned int c = n;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static unsigned int crc32(const unsigned char *p, unsigned int n)
{
    unsigned int c = 0xffffffffu;
    while (n--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static void insertion_sort(int *a, int n)
{
    for (int i = 1; i < n; i++) {
        int key = a[i], j = i - 1;
        while (j >= 0 && a[j] > key) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = key;
    }
}

static unsigned int walk(const struct node *head)
{
    unsigned int sum = 0;
    for (; head; head = head->next)
        sum += head->value;
    return sum;
}

unsigned int bench_main(void)
{
    unsigned int state = 1, checksum = 0;
    make_crc_table();
    for (unsigned int i = 0; i < sizeof buffer; i++)
        buffer[i] = (unsigned char)next_random(&state);
    for (int pass = 0; pass < 60; pass++) {
        buffer[pass] ^= (unsigned char)pass;
        checksum ^= crc32(buffer, sizeof buffer);
    }
    for (int pass = 0; pass < 8; pass++) {
        for (int i = 0; i < 2000; i++)
            values[i] = (int)next_random(&state) - (1 << 23);
        insertion_sort(values, 2000);
        checksum += (unsigned int)values[pass] ^ (unsigned int)values[1999 - pass];
    }
    /* A shuffled singly linked list, walked repeatedly. */
    for (int i = 0; i < 4096; i++)
        nodes[i].value = next_random(&state);
    unsigned int order[4096];
    for (int i = 0; i < 4096; i++) order[i] = i;
    for (int i = 4095; i > 0; i--) {
        unsigned int j = next_random(&state) % (unsigned int)(i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int i = 0; i < 4095; i++) nodes[order[i]].next = &nodes[order[i + 1]];
    nodes[order[4095]].next = 0;
    for (int pass = 0; pass < 1500; pass++)
        checksum += walk(&nodes[order[0]]);
    console_puts("c_workloads checksum ");
    console_hex(checksum);
    console_putc('\n');
    return checksum;
}
