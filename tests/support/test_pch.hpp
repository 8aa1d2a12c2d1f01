// What the LibTorch tests include, precompiled once: the SDK's LibTorch headers and
// GoogleTest.
#pragma once
#include <gtest/gtest.h>

#include "../../sdk/src/torch_pch.hpp"
