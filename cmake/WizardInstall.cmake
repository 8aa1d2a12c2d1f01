# Installed layout: bin/wizard, lib/libwizard_sdk.so, lib/wizard/plugins/*.so,
# include/wizard/..., lib/cmake/wizard/ (package config for third-party plugins).
