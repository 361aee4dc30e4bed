/*
 * include/asm-i386/spinlock.h (2.6.11, SMP, no CONFIG_DEBUG_SPINLOCK):
 * slock is 1 when the lock is free. "lock; decb" takes it when the result
 * is 0; a negative result means someone holds it, and the waiter spins out
 * of line (LOCK_SECTION: .subsection 1 of .text) with "rep; nop" — pause,
 * cpu_relax() — until the byte is positive again, then retries the decb.
 * spin_unlock is a plain "movb $1".
 *
 * kstep's one addition: "incl %1" in the out-of-line loop counts the
 * iterations (one pause each) into the waiter's counter, so the
 * expectations can check how long it spun.
 */
#ifndef KSTEP_SPINLOCK_H
#define KSTEP_SPINLOCK_H
#include "kernel26.h"

/* include/linux/spinlock.h: the waiting loops go after the file's code, under the label .text.lock.FILE. */
#define LOCK_SECTION_NAME ".text.lock.spinlock"
#define LOCK_SECTION_START \
        ".subsection 1\n\t" \
        ".ifndef " LOCK_SECTION_NAME "\n\t" \
        LOCK_SECTION_NAME ":\n\t" \
        ".endif\n"
#define LOCK_SECTION_END ".previous\n\t"

#define spin_lock_string_counted \
        "\n1:\t" \
        "lock ; decb %0\n\t" \
        "js 2f\n" \
        LOCK_SECTION_START \
        "2:\t" \
        "incl %1\n\t"           /* kstep: count this iteration */ \
        "rep;nop\n\t" \
        "cmpb $0,%0\n\t" \
        "jle 2b\n\t" \
        "jmp 1b\n" \
        LOCK_SECTION_END

#define spin_unlock_string \
        "movb $1,%0"

/* _raw_spin_lock, counting the pause iterations into *spins. */
static inline void _raw_spin_lock_counted(spinlock_t *lock, unsigned long *spins)
{
    __asm__ __volatile__(spin_lock_string_counted
                         : "+m" (lock->slock), "+m" (*spins) : : "memory");
}

static inline void _raw_spin_unlock(spinlock_t *lock)
{
    __asm__ __volatile__(spin_unlock_string : "=m" (lock->slock) : : "memory");
}

static inline int spin_is_locked(spinlock_t *lock)
{
    return *(volatile signed char *)(&(lock)->slock) <= 0;
}

#endif
