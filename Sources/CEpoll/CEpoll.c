// Headers only (include/CEpoll.h); SwiftPM needs a source file to build a C target.
#include "CEpoll.h"
