{
  "targets": [
    {
      "target_name": "dnpipes_fuse",
      "sources": [
        "native/addon.c",
        "native/channel.c",
        "native/clone.c",
        "native/held-entries.c",
        "native/held-napi.c",
        "native/mount.c",
        "native/napi-helpers.c"
      ],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "<!@(pkg-config --cflags fuse3)"],
      "libraries": ["<!@(pkg-config --libs fuse3)"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["OS!='linux'", { "type": "none" }]
      ]
    }
  ]
}
