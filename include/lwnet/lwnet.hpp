// lwnet: layer-wise neural networks on GPU (CUDA) and CPU. The whole public C++ API.
#pragma once

#include "lwnet/add_task.hpp"
#include "lwnet/alignment.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/device.hpp"
#include "lwnet/error.hpp"
#include "lwnet/io.hpp"
#include "lwnet/kernels.hpp"
#include "lwnet/kme.hpp"
#include "lwnet/matrix.hpp"
#include "lwnet/net.hpp"
#include "lwnet/ops.hpp"
#include "lwnet/preprocess.hpp"
#include "lwnet/random.hpp"
#include "lwnet/stream.hpp"
#include "lwnet/version.hpp"
