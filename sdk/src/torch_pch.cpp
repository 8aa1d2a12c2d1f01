// Compiles the precompiled LibTorch header (see torch_pch.hpp) once for all targets.
