// strata/rt/sync: async channels and synchronisation primitives for tasks on any worker
// (tokio::sync): oneshot, mpsc, broadcast and watch channels; Notify, Semaphore, Mutex, RwLock.
// docs/sync.md has the tour; each header explains its primitive.
#pragma once

#include "strata/rt/sync/broadcast.hpp"
#include "strata/rt/sync/error.hpp"
#include "strata/rt/sync/mpsc.hpp"
#include "strata/rt/sync/mutex.hpp"
#include "strata/rt/sync/notify.hpp"
#include "strata/rt/sync/oneshot.hpp"
#include "strata/rt/sync/rwlock.hpp"
#include "strata/rt/sync/semaphore.hpp"
#include "strata/rt/sync/watch.hpp"
