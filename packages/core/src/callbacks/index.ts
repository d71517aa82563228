// Public namespace rl.callbacks: each module adds its own export line here.
export {};
