/** Types of bin/cli-entry.js, which stays plain JavaScript so any Node can load it. */
export declare const BUILD_STAMP: string;
export declare function chooseCliEntry(root: string): { entry: string; built: boolean };
