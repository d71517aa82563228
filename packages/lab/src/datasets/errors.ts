/**
 * The one error type of the dataset loaders. The message always starts with the file (or the
 * dataset) it is about and says what is wrong with it, e.g.
 * `ptb.valid.txt: line 12: word "foo" is not in the vocabulary (built from ptb.train.txt)`.
 */
export class DatasetError extends Error {
  /** The file (or dataset name) the error is about. */
  readonly file: string;

  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'DatasetError';
    this.file = file;
  }
}
