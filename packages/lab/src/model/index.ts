// Public namespace `model` of the lab: model specs and the builder that turns one into layers.
export { type LayerSpec, type ModelSpec, modelSpecSchema, namedSpec, parseModelSpec } from './model-spec.js';
export { checkModelSpec, instantiateLayer, knownOptions } from './check-spec.js';
export { layerClass, layerClassNames, regulabLayerClassNames } from './layer-classes.js';
export { type ModelInput, type RecurrentState, SpecModel } from './spec-model.js';
export { applyConstraint, applyPenalty, applySet, changeCell, CELLS, type Cell } from './spec-edits.js';
export { fillTaskValues, TASK_VALUES, type TaskValues } from './task-values.js';
