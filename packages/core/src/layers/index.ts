// Public namespace rl.layers: each module adds its own export line here.
export {};
