/** A table as rows of strings, rendered by the terminal (cli-table3) and Markdown exporters alike. */
export interface TableModel {
  suite: string;
  header: string[];
  rows: string[][];
}
