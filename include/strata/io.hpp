// strata/io: byte streams (AsyncRead/AsyncWrite and their futures), buffers (BufferView, pooled
// Buffer), BufReader/BufWriter, copy/copy_bidirectional, in-memory duplex streams, and the
// EventedFd under every socket.
#pragma once

#include "strata/io/async_io.hpp"
#include "strata/io/buf_reader.hpp"
#include "strata/io/buf_writer.hpp"
#include "strata/io/buffer.hpp"
#include "strata/io/buffer_view.hpp"
#include "strata/io/copy.hpp"
#include "strata/io/duplex.hpp"
#include "strata/io/dyn_stream.hpp"
#include "strata/io/evented_fd.hpp"
#include "strata/io/ext.hpp"
#include "strata/io/poll_fn.hpp"
