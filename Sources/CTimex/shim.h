// The kernel's clock discipline state (adjtimex(2)), which Glibc's Swift module does not export.
#include <sys/timex.h>
