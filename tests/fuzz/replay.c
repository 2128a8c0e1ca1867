/* main() for a fuzz target built without libFuzzer: runs LLVMFuzzerTestOneInput once per
 * file named on the command line, or per file in a named directory (not recursively), so
 * that ctest replays the seed corpora and every crash input kept as a regression on any
 * compiler. Exit 0 when every input ran; a broken invariant aborts the process. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return 1;
    }
    size_t size = 0, capacity = 4096;
    uint8_t *bytes = malloc(capacity);
    for (size_t n; bytes != NULL && (n = fread(bytes + size, 1, capacity - size, f)) > 0;) {
        size += n;
        if (size == capacity) {
            uint8_t *grown = realloc(bytes, capacity *= 2);
            if (grown == NULL)
                free(bytes);
            bytes = grown;
        }
    }
    const int failed = ferror(f) || bytes == NULL;
    fclose(f);
    if (failed) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(bytes);
        return 1;
    }
    LLVMFuzzerTestOneInput(bytes, size);
    free(bytes);
    return 0;
}

/* Every regular file in `dir`, in the order readdir gives; the count through *replayed. */
static int replay_dir(const char *dir, size_t *replayed)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "replay: cannot open %s\n", dir);
        return 1;
    }
    int failures = 0;
    for (const struct dirent *e; (e = readdir(d)) != NULL;) {
        char path[4200];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        failures += replay_file(path);
        ++*replayed;
    }
    closedir(d);
    return failures;
}

int main(int argc, char **argv)
{
    int failures = 0;
    size_t replayed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
            failures += replay_dir(argv[i], &replayed);
        else {
            failures += replay_file(argv[i]);
            replayed++;
        }
    }
    printf("replayed %zu inputs, %d unreadable\n", replayed, failures);
    /* An empty corpus would make this test pass without testing anything. */
    return failures == 0 && replayed > 0 ? 0 : 1;
}
