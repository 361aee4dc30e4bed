// The only header kstep includes from Capstone. pkg-config puts
// /usr/include/capstone on the include path, so both spellings resolve.
#pragma once
#include <capstone/capstone.h>

// Swift does not import function-like or shifted macros reliably; expose the
// flag-effect bits as constants so X86Decoding can name them.
static const uint64_t kstep_eflags_modify_cf = X86_EFLAGS_MODIFY_CF;
static const uint64_t kstep_eflags_modify_pf = X86_EFLAGS_MODIFY_PF;
static const uint64_t kstep_eflags_modify_af = X86_EFLAGS_MODIFY_AF;
static const uint64_t kstep_eflags_modify_zf = X86_EFLAGS_MODIFY_ZF;
static const uint64_t kstep_eflags_modify_sf = X86_EFLAGS_MODIFY_SF;
static const uint64_t kstep_eflags_modify_of = X86_EFLAGS_MODIFY_OF;
static const uint64_t kstep_eflags_modify_df = X86_EFLAGS_MODIFY_DF;
static const uint64_t kstep_eflags_set_cf = X86_EFLAGS_SET_CF;
static const uint64_t kstep_eflags_set_df = X86_EFLAGS_SET_DF;
static const uint64_t kstep_eflags_set_if = X86_EFLAGS_SET_IF;
static const uint64_t kstep_eflags_reset_cf = X86_EFLAGS_RESET_CF;
static const uint64_t kstep_eflags_reset_of = X86_EFLAGS_RESET_OF;
static const uint64_t kstep_eflags_reset_df = X86_EFLAGS_RESET_DF;
static const uint64_t kstep_eflags_reset_if = X86_EFLAGS_RESET_IF;
static const uint64_t kstep_eflags_reset_af = X86_EFLAGS_RESET_AF;
static const uint64_t kstep_eflags_undefined_of = X86_EFLAGS_UNDEFINED_OF;
static const uint64_t kstep_eflags_undefined_sf = X86_EFLAGS_UNDEFINED_SF;
static const uint64_t kstep_eflags_undefined_zf = X86_EFLAGS_UNDEFINED_ZF;
static const uint64_t kstep_eflags_undefined_pf = X86_EFLAGS_UNDEFINED_PF;
static const uint64_t kstep_eflags_undefined_af = X86_EFLAGS_UNDEFINED_AF;
static const uint64_t kstep_eflags_undefined_cf = X86_EFLAGS_UNDEFINED_CF;
static const uint64_t kstep_eflags_test_cf = X86_EFLAGS_TEST_CF;
static const uint64_t kstep_eflags_test_pf = X86_EFLAGS_TEST_PF;
static const uint64_t kstep_eflags_test_af = X86_EFLAGS_TEST_AF;
static const uint64_t kstep_eflags_test_zf = X86_EFLAGS_TEST_ZF;
static const uint64_t kstep_eflags_test_sf = X86_EFLAGS_TEST_SF;
static const uint64_t kstep_eflags_test_of = X86_EFLAGS_TEST_OF;
static const uint64_t kstep_eflags_test_df = X86_EFLAGS_TEST_DF;

// The x86 detail of a decoded instruction (an anonymous union member in C).
static inline const cs_x86 *kstep_x86_detail(const cs_insn *insn) {
    return insn->detail ? &insn->detail->x86 : 0;
}
