/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy parser's state and what its two halves share:
 * policy-parse-expr.c splits a line into tokens and reads the pieces of a
 * rule (actions, values, conditions); policy-parse.c reads the lines (rules,
 * includes) into the policy. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"
#include "policy-internal.h"

typedef struct Token {
        const char *s;
        size_t len;
        unsigned column;
        bool op;                /* one of == != < <= > >= & | */
} Token;

typedef struct Frame {
        const char *path;       /* for diagnostics and relative includes */
        bool has_id;
        dev_t dev;
        ino_t ino;
} Frame;

typedef struct Parser {
        Policy *policy;
        char * const *search_path;
        Diagnostic *diag;
        Frame stack[POLICY_INCLUDE_DEPTH_MAX];
        unsigned depth;
        Token *tokens;          /* the current line's, reused */
        size_t n_tokens, allocated_tokens;
        unsigned line;
        unsigned end_column;    /* column just past the line's last token */
} Parser;

/* Prints a token for a message, cut short so messages stay readable. */
#define TOKEN_FMT "'%.*s'"
#define TOKEN_ARG(t) (int) MIN((t)->len, (size_t) 64), (t)->s

/* The file being read. */
const char *parser_file(const Parser *ps);
/* Sets the diagnostic at the current line and column and returns error. */
int parser_fail(Parser *ps, int error, unsigned column, const char *format, ...) _printf_(4, 5);
/* "expected WHAT, got TOKEN" (or "end of line") at tokens[i]; -EINVAL. */
int parser_fail_expected(Parser *ps, size_t i, const char *what);

bool token_is(const Token *t, const char *s);
bool token_is_op(const Token *t, const char *s);
char *token_strdup(const Token *t);
/* Splits one line into ps->tokens; a '#' starts a comment. */
int parser_tokenize(Parser *ps, const char *line, size_t len);

/* The errno of `errno NAME|NUMBER` at tokens[i], as a SECCOMP_RET_ERRNO action. */
int parse_errno_value(Parser *ps, size_t i, uint32_t *ret);
/* An action at tokens[*i] (allow, kill, log, errno NAME); advances *i past it. */
int parse_action(Parser *ps, size_t *i, const char *after, uint32_t *ret);
/* `COND [and COND]...` from tokens[i] to the end of the line. value_columns
 * gets each VALUE's column for later per-syscall range errors. */
int parse_conditions(Parser *ps, size_t i, PolicyConditionSet **ret, unsigned *value_columns);
void condition_set_free(PolicyConditionSet *cs);
