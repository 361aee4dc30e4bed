// CX87: the host's x87 FPU, one instruction at a time, for kstep's guest x87.
//
// kstep's x87 results must equal a real x87's bit for bit in every rounding and
// precision mode, transcendental instructions included. No portable library
// reproduces the x87's microcoded fsin/fpatan/f2xm1 to the last bit, and Swift's
// Float80 always runs under the host's default control word, so kstep executes
// each arithmetic instruction on the host's own x87 under the guest's control
// word and condition codes, and models everything architectural around it (the
// register stack, tags, stack faults, exception flags and what an unmasked
// exception leaves unwritten) in Swift (Sources/I386/FPU).
//
// How cx87_execute runs one instruction (see cx87.c):
//   1. fnstcw/fnstsw save the host control word and note the host TOP (the
//      host's x87 stack is empty between calls, as both SysV ABIs require).
//   2. fldt pushes the operands. An 80-bit load never raises an exception, so
//      the exact bits of any operand (SNaN, denormal, unnormal, pseudo-NaN…)
//      reach the host registers unchanged.
//   3. fldenv installs the guest's control word (its real exception masks) and
//      the guest's C0–C3 with every exception flag clear, so the flags after
//      the instruction are this instruction's alone and any condition code the
//      SDM leaves "undefined" ends up as this host leaves it.
//   4. The instruction runs. An unmasked exception only sets ES: the x87
//      raises #MF (SIGFPE on Linux) at the *next waiting* instruction, and the
//      shim reaches no waiting instruction before step 5.
//   5. fnstsw and fnclex (both non-waiting) read the status word and clear the
//      pending exception; fldcw puts the host control word back; fstpt (a
//      waiting instruction, now harmless) pops whatever the instruction left.
// Running with the guest's real masks matters: an unmasked overflow or
// underflow delivers a different result (exponent wrapped by 24576), and an
// unmasked invalid, denormal or zero-divide exception leaves the destination
// unchanged, as the guest must see.
//
// The host's x87 exception flags are left clear after a call (they were all
// masked and unread); its control word, TOP and empty stack are preserved.
//
// Only x86 hosts have an x87.
#pragma once

#if !defined(__x86_64__) && !defined(__i386__)
#error "CX87 runs guest x87 instructions on the host's x87: it needs an i386 or x86-64 host"
#endif

#include <stdint.h>

#if defined(__has_attribute)
#if __has_attribute(enum_extensibility)
#define CX87_CLOSED_ENUM __attribute__((enum_extensibility(closed)))
#endif
#endif
#ifndef CX87_CLOSED_ENUM
#define CX87_CLOSED_ENUM
#endif

/// An 80-bit double extended-precision value exactly as it sits in memory:
/// the 64-bit significand (explicit integer bit 63) then sign and exponent.
typedef struct cx87_value {
    uint64_t significand;
    uint16_t sign_exponent;
} cx87_value;

/// One x87 instruction form. Register forms name the host registers they use:
/// the caller passes the guest's operands as host ST(0) and ST(1).
typedef enum CX87_CLOSED_ENUM cx87_operation {
    // ST(0) <- ST(0) op ST(1)   (D8 C0+i forms)
    CX87_FADD_ST0_ST1, CX87_FMUL_ST0_ST1, CX87_FSUB_ST0_ST1,
    CX87_FSUBR_ST0_ST1, CX87_FDIV_ST0_ST1, CX87_FDIVR_ST0_ST1,
    // ST(1) <- ST(1) op ST(0)   (DC C0+i forms; "subr" means ST(0) - ST(1))
    CX87_FADD_ST1_ST0, CX87_FMUL_ST1_ST0, CX87_FSUB_ST1_ST0,
    CX87_FSUBR_ST1_ST0, CX87_FDIV_ST1_ST0, CX87_FDIVR_ST1_ST0,
    // ST(0) <- ST(0) op memory
    CX87_FADD_M32, CX87_FMUL_M32, CX87_FSUB_M32, CX87_FSUBR_M32, CX87_FDIV_M32, CX87_FDIVR_M32,
    CX87_FADD_M64, CX87_FMUL_M64, CX87_FSUB_M64, CX87_FSUBR_M64, CX87_FDIV_M64, CX87_FDIVR_M64,
    CX87_FIADD_M16, CX87_FIMUL_M16, CX87_FISUB_M16, CX87_FISUBR_M16, CX87_FIDIV_M16, CX87_FIDIVR_M16,
    CX87_FIADD_M32, CX87_FIMUL_M32, CX87_FISUB_M32, CX87_FISUBR_M32, CX87_FIDIV_M32, CX87_FIDIVR_M32,
    // Comparisons of ST(0) with ST(1) or memory; fcomi/fucomi also report EFLAGS.
    CX87_FCOM_ST1, CX87_FUCOM_ST1, CX87_FCOMI_ST1, CX87_FUCOMI_ST1,
    CX87_FCOM_M32, CX87_FCOM_M64, CX87_FICOM_M16, CX87_FICOM_M32,
    CX87_FTST, CX87_FXAM,
    // Pushes: conversions from memory and the constants.
    CX87_FLD_M32, CX87_FLD_M64, CX87_FILD_M16, CX87_FILD_M32, CX87_FILD_M64, CX87_FBLD,
    CX87_FLD1, CX87_FLDL2T, CX87_FLDL2E, CX87_FLDPI, CX87_FLDLG2, CX87_FLDLN2, CX87_FLDZ,
    // Conversions of ST(0) to memory (fistp m64 and fbstp pop, the others do not).
    CX87_FST_M32, CX87_FST_M64, CX87_FIST_M16, CX87_FIST_M32, CX87_FISTP_M64, CX87_FBSTP,
    // On ST(0).
    CX87_FCHS, CX87_FABS, CX87_FSQRT, CX87_FRNDINT, CX87_F2XM1, CX87_FSIN, CX87_FCOS,
    CX87_FSINCOS, CX87_FPTAN, CX87_FXTRACT,
    // On ST(0) and ST(1) (fpatan, fyl2x and fyl2xp1 pop).
    CX87_FSCALE, CX87_FPREM, CX87_FPREM1, CX87_FPATAN, CX87_FYL2X, CX87_FYL2XP1,
} cx87_operation;

/// What the host's x87 did.
typedef struct cx87_outcome {
    /// The host stack after the instruction, ST(0) first; `depth` entries are valid.
    cx87_value stack[4];
    /// What a store to memory wrote (little-endian, zero beyond its size and
    /// when the host wrote nothing).
    cx87_value memory;
    /// The host status word right after the instruction: this instruction's
    /// exception flags, ES/B, C0–C3 and the host TOP.
    uint16_t status_word;
    /// How many registers the instruction left on the host stack.
    uint16_t depth;
    /// EFLAGS right after the instruction (only fcomi and fucomi set it; its
    /// arithmetic flags are the guest's).
    uint32_t eflags;
} cx87_outcome;

/// How many host registers `operation` reads: its operands are ST(0) and, for
/// two, ST(1).
unsigned cx87_operand_count(cx87_operation operation);

/// Runs `operation` on the host x87 with operands `st0` and `st1` (read as
/// cx87_operand_count says), the 10-byte memory operand `memory` (for m16/m32/
/// m64 forms, the low bytes), under `control_word` and starting from the
/// condition codes C0–C3 of `status_word`; fcomi and fucomi start from the
/// arithmetic flags (CF, PF, AF, ZF, SF, OF) of `eflags`.
void cx87_execute(cx87_operation operation, cx87_value st0, cx87_value st1, cx87_value memory,
                  uint16_t control_word, uint16_t status_word, uint32_t eflags, cx87_outcome *outcome);
