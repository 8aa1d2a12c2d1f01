// WIZARD_API marks what libwizard_sdk.so exports; the SDK is built with hidden
// visibility, so anything unmarked stays private to the library.
#pragma once

#define WIZARD_API __attribute__((visibility("default")))
