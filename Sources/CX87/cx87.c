// See include/cx87.h for what this file does and why.
#include "cx87.h"

#if !defined(__x86_64__) && !defined(__i386__)
#error "CX87 needs an i386 or x86-64 host"
#endif

/// Instructions without operands (the operands are already on the host stack).
#define RUN(text) __asm__ volatile(text ::: "memory")
/// Instructions that read the memory operand.
#define READ(text) __asm__ volatile(text " %0" :: "m"(source) : "memory")
/// Instructions that write the memory result.
#define WRITE(text) __asm__ volatile(text " %0" : "+m"(stored) :: "memory")

/// fcomi/fucomi: EFLAGS' arithmetic flags are set from `eflags_in` first and
/// read back after, with pushf/popf below the x86-64 red zone (lea moves the
/// stack pointer without touching the flags). The host's other flags stay.
#define CX87_ARITHMETIC_FLAGS 0x8D5u
#if defined(__x86_64__)
#define RUN_WITH_FLAGS(text)                                                              \
    do {                                                                                  \
        uint64_t flags = eflags_in & CX87_ARITHMETIC_FLAGS, scratch;                      \
        __asm__ volatile("lea -128(%%rsp), %%rsp\n\tpushfq\n\tpopq %1\n\t"              \
                         "andq $~0x8D5, %1\n\torq %1, %0\n\tpushq %0\n\tpopfq\n\t"       \
                         text "\n\tpushfq\n\tpopq %0\n\tlea 128(%%rsp), %%rsp"            \
                         : "+r"(flags), "=&r"(scratch)::"memory", "cc");                  \
        eflags = (uint32_t)flags;                                                         \
    } while (0)
#else
#define RUN_WITH_FLAGS(text)                                                              \
    do {                                                                                  \
        uint32_t flags = eflags_in & CX87_ARITHMETIC_FLAGS, scratch;                      \
        __asm__ volatile("pushfl\n\tpopl %1\n\tandl $~0x8D5, %1\n\torl %1, %0\n\t"      \
                         "pushl %0\n\tpopfl\n\t" text "\n\tpushfl\n\tpopl %0"             \
                         : "+r"(flags), "=&r"(scratch)::"memory", "cc");                  \
        eflags = flags;                                                                   \
    } while (0)
#endif

unsigned cx87_operand_count(cx87_operation operation) {
    if (operation <= CX87_FDIVR_ST1_ST0) return 2;
    if (operation <= CX87_FIDIVR_M32) return 1;
    if (operation <= CX87_FUCOMI_ST1) return 2;
    if (operation <= CX87_FXAM) return 1;
    if (operation <= CX87_FLDZ) return 0;
    if (operation <= CX87_FXTRACT) return 1;
    return 2;
}

void cx87_execute(cx87_operation operation, cx87_value st0, cx87_value st1, cx87_value memory,
                  uint16_t control_word, uint16_t status_word, uint32_t eflags_in, cx87_outcome *outcome) {
    const cx87_value source = memory;
    cx87_value stored = {0, 0};
    uint32_t eflags = 0;
    uint16_t host_control, host_status, after;

    __asm__ volatile("fnstcw %0\n\tfnstsw %1" : "=m"(host_control), "=m"(host_status));
    const unsigned host_top = (host_status >> 11) & 7;
    const unsigned loads = cx87_operand_count(operation);
    if (loads == 2) __asm__ volatile("fldt %0" ::"m"(st1) : "memory");
    if (loads >= 1) __asm__ volatile("fldt %0" ::"m"(st0) : "memory");

    // The guest's control word and condition codes, no exception flags, the
    // host's TOP, and tags that say which host registers hold the operands.
    const unsigned top = (host_top - loads) & 7;
    uint32_t tags = 0xFFFF;
    for (unsigned k = 0; k < loads; k++) tags &= ~(3u << (2 * ((top + k) & 7)));
    const uint32_t environment[7] = {
        0xFFFF0000u | control_word,
        0xFFFF0000u | (status_word & 0x4700u) | (top << 11),
        0xFFFF0000u | tags,
        0, 0, 0, 0xFFFF0000u,
    };
    __asm__ volatile("fldenv %0" ::"m"(environment) : "memory");

    switch (operation) {
    case CX87_FADD_ST0_ST1: RUN(".byte 0xd8, 0xc1"); break;
    case CX87_FMUL_ST0_ST1: RUN(".byte 0xd8, 0xc9"); break;
    case CX87_FSUB_ST0_ST1: RUN(".byte 0xd8, 0xe1"); break;
    case CX87_FSUBR_ST0_ST1: RUN(".byte 0xd8, 0xe9"); break;
    case CX87_FDIV_ST0_ST1: RUN(".byte 0xd8, 0xf1"); break;
    case CX87_FDIVR_ST0_ST1: RUN(".byte 0xd8, 0xf9"); break;
    case CX87_FADD_ST1_ST0: RUN(".byte 0xdc, 0xc1"); break;
    case CX87_FMUL_ST1_ST0: RUN(".byte 0xdc, 0xc9"); break;
    case CX87_FSUB_ST1_ST0: RUN(".byte 0xdc, 0xe9"); break;
    case CX87_FSUBR_ST1_ST0: RUN(".byte 0xdc, 0xe1"); break;
    case CX87_FDIV_ST1_ST0: RUN(".byte 0xdc, 0xf9"); break;
    case CX87_FDIVR_ST1_ST0: RUN(".byte 0xdc, 0xf1"); break;
    case CX87_FADD_M32: READ("fadds"); break;
    case CX87_FMUL_M32: READ("fmuls"); break;
    case CX87_FSUB_M32: READ("fsubs"); break;
    case CX87_FSUBR_M32: READ("fsubrs"); break;
    case CX87_FDIV_M32: READ("fdivs"); break;
    case CX87_FDIVR_M32: READ("fdivrs"); break;
    case CX87_FADD_M64: READ("faddl"); break;
    case CX87_FMUL_M64: READ("fmull"); break;
    case CX87_FSUB_M64: READ("fsubl"); break;
    case CX87_FSUBR_M64: READ("fsubrl"); break;
    case CX87_FDIV_M64: READ("fdivl"); break;
    case CX87_FDIVR_M64: READ("fdivrl"); break;
    case CX87_FIADD_M16: READ("fiadds"); break;
    case CX87_FIMUL_M16: READ("fimuls"); break;
    case CX87_FISUB_M16: READ("fisubs"); break;
    case CX87_FISUBR_M16: READ("fisubrs"); break;
    case CX87_FIDIV_M16: READ("fidivs"); break;
    case CX87_FIDIVR_M16: READ("fidivrs"); break;
    case CX87_FIADD_M32: READ("fiaddl"); break;
    case CX87_FIMUL_M32: READ("fimull"); break;
    case CX87_FISUB_M32: READ("fisubl"); break;
    case CX87_FISUBR_M32: READ("fisubrl"); break;
    case CX87_FIDIV_M32: READ("fidivl"); break;
    case CX87_FIDIVR_M32: READ("fidivrl"); break;
    case CX87_FCOM_ST1: RUN(".byte 0xd8, 0xd1"); break;
    case CX87_FUCOM_ST1: RUN(".byte 0xdd, 0xe1"); break;
    case CX87_FCOMI_ST1: RUN_WITH_FLAGS(".byte 0xdb, 0xf1"); break;
    case CX87_FUCOMI_ST1: RUN_WITH_FLAGS(".byte 0xdb, 0xe9"); break;
    case CX87_FCOM_M32: READ("fcoms"); break;
    case CX87_FCOM_M64: READ("fcoml"); break;
    case CX87_FICOM_M16: READ("ficoms"); break;
    case CX87_FICOM_M32: READ("ficoml"); break;
    case CX87_FTST: RUN("ftst"); break;
    case CX87_FXAM: RUN("fxam"); break;
    case CX87_FLD_M32: READ("flds"); break;
    case CX87_FLD_M64: READ("fldl"); break;
    case CX87_FILD_M16: READ("filds"); break;
    case CX87_FILD_M32: READ("fildl"); break;
    case CX87_FILD_M64: READ("fildll"); break;
    case CX87_FBLD: READ("fbld"); break;
    case CX87_FLD1: RUN("fld1"); break;
    case CX87_FLDL2T: RUN("fldl2t"); break;
    case CX87_FLDL2E: RUN("fldl2e"); break;
    case CX87_FLDPI: RUN("fldpi"); break;
    case CX87_FLDLG2: RUN("fldlg2"); break;
    case CX87_FLDLN2: RUN("fldln2"); break;
    case CX87_FLDZ: RUN("fldz"); break;
    case CX87_FST_M32: WRITE("fsts"); break;
    case CX87_FST_M64: WRITE("fstl"); break;
    case CX87_FIST_M16: WRITE("fists"); break;
    case CX87_FIST_M32: WRITE("fistl"); break;
    case CX87_FISTP_M64: WRITE("fistpll"); break;
    case CX87_FBSTP: WRITE("fbstp"); break;
    case CX87_FCHS: RUN("fchs"); break;
    case CX87_FABS: RUN("fabs"); break;
    case CX87_FSQRT: RUN("fsqrt"); break;
    case CX87_FRNDINT: RUN("frndint"); break;
    case CX87_F2XM1: RUN("f2xm1"); break;
    case CX87_FSIN: RUN("fsin"); break;
    case CX87_FCOS: RUN("fcos"); break;
    case CX87_FSINCOS: RUN("fsincos"); break;
    case CX87_FPTAN: RUN("fptan"); break;
    case CX87_FXTRACT: RUN("fxtract"); break;
    case CX87_FSCALE: RUN("fscale"); break;
    case CX87_FPREM: RUN("fprem"); break;
    case CX87_FPREM1: RUN("fprem1"); break;
    case CX87_FPATAN: RUN("fpatan"); break;
    case CX87_FYL2X: RUN("fyl2x"); break;
    case CX87_FYL2XP1: RUN("fyl2xp1"); break;
    }

    // Non-waiting status read and clear before anything that waits.
    __asm__ volatile("fnstsw %0\n\tfnclex\n\tfldcw %1" : "=m"(after) : "m"(host_control) : "memory");
    const unsigned depth = (host_top - ((after >> 11) & 7)) & 7;
    for (unsigned k = 0; k < depth; k++) {
        if (k < 4) {
            __asm__ volatile("fstpt %0" : "=m"(outcome->stack[k])::"memory");
        } else {
            __asm__ volatile("fstp %%st(0)" ::: "memory");
        }
    }
    outcome->memory = stored;
    outcome->status_word = after;
    outcome->depth = (uint16_t)depth;
    outcome->eflags = eflags;
}
