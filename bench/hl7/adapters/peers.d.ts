// Minimal typings for the two untyped CommonJS peers, covering only what the bench calls.

declare module 'hl7-standard' {
  class Segment {
    type: string;
    data: Record<string, unknown>;
    get(field: string, sectionIndex?: number, subIndex?: number): unknown;
  }
  class HL7 {
    constructor(data?: string, options?: { lineEndings?: string });
    transform(callback?: (error: Error | null) => void): void;
    get(field: string, index?: number, sectionIndex?: number, subIndex?: number): unknown;
    getSegment(name: string): Segment;
    getSegments(name?: string): Segment[];
  }
  export default HL7;
}

declare module 'simple-hl7' {
  export class Component {
    value: Array<string | string[]>;
  }
  export class Field {
    value: Array<Component[] | Field>;
  }
  export class Segment {
    name: string;
    fields: Field[];
    getField(index: number, repeatIndex?: number): string;
    getComponent(fieldIndex: number, componentIndex: number, subComponentIndex?: number): string;
  }
  export class Message {
    header: Segment;
    segments: Segment[];
    getSegment(name: string): Segment | undefined;
    getSegments(name: string): Segment[];
  }
  export class Parser {
    constructor(options?: { segmentSeperator?: string });
    parse(text: string): Message;
  }
  const hl7: { Parser: typeof Parser; Message: typeof Message; Segment: typeof Segment; Field: typeof Field; Component: typeof Component };
  export default hl7;
}
