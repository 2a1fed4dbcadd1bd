// Owning holders for the GStreamer and GLib handles the engine takes a reference to: each releases with the one
// function that matches how the handle was obtained, so no release is paired by hand and an early return leaks
// nothing. Borrowed pointers (an element the pipeline owns, a caps structure inside a reply) stay plain pointers.
#pragma once

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <memory>

namespace mxcall::media::gst {

struct GstObjectUnref {
  void operator()(gpointer object) const { gst_object_unref(object); }
};
struct GObjectUnref {
  void operator()(gpointer object) const { g_object_unref(object); }
};
struct CapsUnref {
  void operator()(GstCaps* caps) const { gst_caps_unref(caps); }
};
struct PromiseUnref {
  void operator()(GstPromise* promise) const { gst_promise_unref(promise); }
};
struct StructureFree {
  void operator()(GstStructure* structure) const { gst_structure_free(structure); }
};
struct SessionDescriptionFree {
  void operator()(GstWebRTCSessionDescription* description) const { gst_webrtc_session_description_free(description); }
};
struct ErrorFree {
  void operator()(GError* error) const { g_error_free(error); }
};
struct GFree {
  void operator()(gpointer memory) const { g_free(memory); }
};
struct ArrayUnref {
  void operator()(GArray* array) const { g_array_unref(array); }
};

// A GstObject (element, pad, bus, transceiver, factory...), released with gst_object_unref.
template <typename T>
using GstRef = std::unique_ptr<T, GstObjectUnref>;
using ElementRef = GstRef<GstElement>;
using PadRef = GstRef<GstPad>;
using BusRef = GstRef<GstBus>;
using TransceiverRef = GstRef<GstWebRTCRTPTransceiver>;
// A plain GObject (libnice's agent, rtpbin's internal session), released with g_object_unref.
template <typename T>
using GObjectRef = std::unique_ptr<T, GObjectUnref>;
using CapsRef = std::unique_ptr<GstCaps, CapsUnref>;
using PromiseRef = std::unique_ptr<GstPromise, PromiseUnref>;
using StructureRef = std::unique_ptr<GstStructure, StructureFree>;
using SessionDescriptionRef = std::unique_ptr<GstWebRTCSessionDescription, SessionDescriptionFree>;
using ErrorRef = std::unique_ptr<GError, ErrorFree>;
using GCharRef = std::unique_ptr<gchar, GFree>;
using ArrayRef = std::unique_ptr<GArray, ArrayUnref>;

// A newly made GstObject comes with a floating reference, which the first bin it is added to takes over. Sinking it
// here gives the holder a real reference of its own, so an element that never reaches a bin is still released, and
// one that does is kept alive by the bin after the holder lets go.
template <typename T>
GstRef<T> adopt_floating(T* object) {
  if (object) gst_object_ref_sink(object);
  return GstRef<T>(object);
}

// A new element by factory name (and instance name, when given), held as above; empty when the plugin is missing.
inline ElementRef make_element(const char* factory, const char* name = nullptr) {
  return adopt_floating(gst_element_factory_make(factory, name));
}

// An object-typed GObject property: g_object_get hands out a full reference, which the holder takes.
template <typename Holder>
Holder object_property(gpointer object, const char* property) {
  typename Holder::pointer value = nullptr;
  g_object_get(object, property, &value, nullptr);
  return Holder(value);
}

// For C functions that return owned handles through out-parameters: `f(out(holder))` fills the holder when the
// full expression ends.
template <typename Holder>
class OutParam {
 public:
  explicit OutParam(Holder& holder) : holder_(holder) {}
  ~OutParam() { holder_.reset(value_); }
  OutParam(const OutParam&) = delete;
  OutParam& operator=(const OutParam&) = delete;
  operator typename Holder::pointer *() { return &value_; }  // NOLINT(google-explicit-constructor): the point of it

 private:
  Holder& holder_;
  typename Holder::pointer value_ = nullptr;
};

template <typename Holder>
OutParam<Holder> out(Holder& holder) {
  return OutParam<Holder>(holder);
}

}  // namespace mxcall::media::gst
